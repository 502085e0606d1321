# A backend killed with SIGKILL in the middle of generating: the
# postmaster restarts every backend (shared memory may be damaged), the
# shared pool comes back with its preloaded model, and the same greedy
# query gives the same answer as before; a session that was connected
# gets a clean error, not a hang.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $cli = $ENV{LLM_CLI} or die "LLM_CLI must name bin/llm-cli";
my $dir = PostgreSQL::Test::Utils::tempdir;
system($cli, 'synth', '--shape', 'smollm2-135m', '--type', 'q8_0', '--out', "$dir/smol.gguf") == 0
  or die "synth failed";

my $node = PostgreSQL::Test::Cluster->new('faults');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'llm'
llm.preload_models = 'postgres:smol'
llm.context_size = 1024
restart_after_crash = on
});
$node->start;
$node->safe_psql('postgres', qq{
CREATE EXTENSION llm;
INSERT INTO llm_models (name, path) VALUES ('smol', '$dir/smol.gguf');
});
my $fixed = "SELECT md5(llm_generate('Once upon a time', 'smol', max_tokens => 40))";
my $expect = $node->safe_psql('postgres', $fixed);

my $s = $node->background_psql('postgres', on_error_stop => 0);
my $pid = $s->query_safe('SELECT pg_backend_pid()');
my $other = $node->background_psql('postgres', on_error_stop => 0);
$other->query_safe('SELECT 1');
$s->query_until(qr/started/,
	"\\echo started\nSELECT count(llm_generate('Once upon a time ' || g, 'smol', max_tokens => 40)) FROM generate_series(1, 300) g;\n");
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM llm_progress WHERE pid = $pid"),
	'a long generation is under way');
sleep(1);	# (300 answers take minutes)
is($node->safe_psql('postgres', "SELECT state FROM pg_stat_activity WHERE pid = $pid"), 'active',
	'and still running');
ok(kill('KILL', $pid), 'its backend is killed with SIGKILL');

ok($node->poll_query_until('postgres', 'SELECT true'),
	'the server accepts connections again after its crash restart');
ok($node->log_contains(qr/server process \(PID $pid\) was terminated by signal 9/),
	'the server log names the killed backend');
ok($node->poll_query_until('postgres',
		"SELECT state = 'loaded' FROM llm_model_status WHERE name = 'smol'"),
	'the pool comes back with the preloaded model');
is($node->safe_psql('postgres', $fixed), $expect, 'the same greedy answer as before the crash');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM llm_progress"), '0', 'no progress row is left of the killed statement');

# the session that was connected to another backend: an error, then gone
my ($out, $err) = ('', '');
eval { $other->query('SELECT 1'); };
pass('the other session returns rather than hangs');
eval { $s->quit; };
eval { $other->quit; };
ok(!$node->log_contains(qr/PANIC/), 'no PANIC in the server log');

$node->stop;
done_testing();
