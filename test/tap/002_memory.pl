# One copy of a model for the whole server: 16 connections generating with
# the same model at once hold, in sum (PSS, /proc/PID/smaps_rollup), at most
# 1.3 x the model file plus the KV caches and scratch buffers of the calls.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $n_sessions = 16;
my $n_ctx = 256;
my $cli = $ENV{LLM_CLI} or die "LLM_CLI must name bin/llm-cli";
my $dir = PostgreSQL::Test::Utils::tempdir;
my $model = "$dir/smol.gguf";
system($cli, 'synth', '--shape', 'smollm2-135m', '--type', 'q8_0', '--out', $model) == 0
  or die "synth failed";
my $file_bytes = -s $model;

# the shape, for the per-call buffers (context.c allocates them)
my $info = `$cli info $model`;
my ($n_vocab, $n_embd, $n_layer, $n_head, $n_head_kv, $head_dim, $n_ff) =
  $info =~ /n_vocab (\d+), n_embd (\d+), n_layer (\d+), n_head (\d+), n_head_kv (\d+), head_dim (\d+), n_ff (\d+)/
  or die "no shape in: $info";
my $n_batch = 128;
my $kv_dim = $n_head_kv * $head_dim;
my $q_dim = $n_head * $head_dim;
my $kv_bytes = 2 * 4 * $n_layer * $n_ctx * $kv_dim;
my $scratch_bytes = 4 * $n_batch * (2 * $n_embd + 2 * $q_dim + 2 * $kv_dim + 2 * $n_ff)
  + 4 * $n_ctx * $n_batch + 4 * $n_batch * $n_ff + 4 * $n_vocab * 2;

my $node = PostgreSQL::Test::Cluster->new('memory');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'llm'
llm.max_compute_threads = $n_sessions
llm.context_size = $n_ctx
max_connections = 40
});
$node->start;
$node->safe_psql('postgres', "CREATE EXTENSION llm; INSERT INTO llm_models (name, path) VALUES ('smol', '$model'); SELECT llm_load('smol');");

sub pss_kb
{
	my ($pid) = @_;
	open(my $fh, '<', "/proc/$pid/smaps_rollup") or return 0;
	while (<$fh>) { return $1 if /^Pss:\s+(\d+) kB/; }
	return 0;
}

# baseline: the same number of connections that have not used a model
my @idle;
my $idle_kb = 0;
for (1 .. $n_sessions)
{
	my $s = $node->background_psql('postgres');
	my $pid = $s->query_safe('SELECT pg_backend_pid()');
	push @idle, $s;
	$idle_kb += pss_kb($pid);
}
$_->quit for @idle;

my @sessions;
my @pids;
for my $i (1 .. $n_sessions)
{
	my $s = $node->background_psql('postgres');
	push @pids, $s->query_safe('SELECT pg_backend_pid()');
	$s->query_until(qr/started/,
		"\\echo started\nSELECT length(llm_generate('Session $i says', 'smol', max_tokens => 200, temperature => 0));\n\\echo finished\n");
	push @sessions, $s;
}
my $pidlist = join(',', @pids);
# every session has been computing for a while: all weights touched by all
$node->poll_query_until('postgres',
	"SELECT count(*) = $n_sessions FROM pg_stat_activity WHERE pid IN ($pidlist) AND state = 'active' AND wait_event IS NULL")
  or die "the sessions did not start";
sleep 3;
my $sum_kb = 0;
$sum_kb += pss_kb($_) for @pids;
my $attached = $node->safe_psql('postgres', "SELECT attached_backends FROM llm_model_status WHERE name = 'smol'");
$_->query_until(qr/finished/, '') for @sessions;
$_->quit for @sessions;

my $mb = sub { sprintf('%.1f MB', $_[0] / 1048576) };
my $bound = 1.3 * $file_bytes + $n_sessions * ($kv_bytes + $scratch_bytes);
diag(sprintf('%d sessions: sum of PSS %s; model file %s; KV caches %d x %s; scratch %d x %s; '
	  . 'the same connections idle %s; bound 1.3 x file + KV + scratch = %s',
	$n_sessions, $mb->($sum_kb * 1024), $mb->($file_bytes), $n_sessions, $mb->($kv_bytes),
	$n_sessions, $mb->($scratch_bytes), $mb->($idle_kb * 1024), $mb->($bound)));
is($attached, $n_sessions, 'every generating session is attached to the one copy');
ok($sum_kb * 1024 <= $bound, 'the sessions hold one copy of the weights between them');
# a private copy per backend would be 16 x the file: make sure the test can tell
ok($n_sessions * $file_bytes > $bound, 'the bound excludes a copy per backend');

# ---- what a connection keeps after a long call ----
{
	my $s = $node->background_psql('postgres');
	my $pid = $s->query_safe('SELECT pg_backend_pid()');
	my $rss = sub {
		my ($kb) = slurp_file("/proc/$pid/status") =~ /^RssAnon:\s+(\d+) kB/m;
		return $kb;
	};
	$s->query_safe("SET llm.context_size = 4096; SELECT llm_generate('Hello', 'smol', max_tokens => 4)");
	my $before = $rss->();
	$s->query_safe("SELECT length(llm_generate(repeat('word ', 1200), 'smol', max_tokens => 4))");
	my $after = $rss->();
	my $kv_long = 2 * 4 * $n_layer * 2400 * $kv_dim;
	diag(sprintf('anonymous memory of a connection: %s after a short call, %s after a 2400-token call (its KV cache: %s)',
		$mb->($before * 1024), $mb->($after * 1024), $mb->($kv_long)));
	ok(($after - $before) * 1024 < $kv_long / 4, 'a long call gives its KV cache back');
	$s->quit;
}

$node->stop;
done_testing();
