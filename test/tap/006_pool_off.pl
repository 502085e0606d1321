# Without shared_preload_libraries: each backend reads its own copy of a
# model, so a model file truncated or copied over while a call runs cannot
# kill the backend (a mapping of the file would: SIGBUS); the status view
# says the pool is off; parallel workers load the model like any backend.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use File::Copy;
use Test::More;

my $cli = $ENV{LLM_CLI} or die "LLM_CLI must name bin/llm-cli";
my $shared = $ENV{LLM_SHARED} or die "LLM_SHARED must name ../shared";
my $dir = PostgreSQL::Test::Utils::tempdir;
system($cli, 'synth', '--shape', 'smollm2-135m', '--type', 'q8_0', '--out', "$dir/smol.gguf") == 0
  or die "synth failed";
copy("$dir/smol.gguf", "$dir/smol-original.gguf") or die;
copy("$shared/models/stories260K.gguf", "$dir/stories.gguf") or die;

my $node = PostgreSQL::Test::Cluster->new('pool_off');
$node->init;
$node->append_conf('postgresql.conf', "llm.context_size = 1024\nllm.log_min_duration = 0\nshared_preload_libraries = ''\n");
$node->start;
$node->safe_psql('postgres', qq{
CREATE EXTENSION llm;
INSERT INTO llm_models (name, path) VALUES ('smol', '$dir/smol.gguf'), ('stories', '$dir/stories.gguf');
});
my $long = "SELECT md5(llm_generate('Once upon a time', 'smol', max_tokens => 300, temperature => 0))";
my $expect = $node->safe_psql('postgres', $long);

is($node->safe_psql('postgres', "SELECT string_agg(DISTINCT storage, ',') FROM llm_model_status"),
	'backend memory (pool off)', 'llm_model_status says the pool is off');

my $s = $node->background_psql('postgres');
my $pid = $s->query_safe('SELECT pg_backend_pid()');
$s->query_safe("SELECT llm_load('smol')");
$s->query_until(qr/started/, "\\echo started\n$long;\n\\echo finished\n");
$node->poll_query_until('postgres',
	"SELECT state = 'active' AND query LIKE '%llm_generate%' FROM pg_stat_activity WHERE pid = $pid") or die;
truncate("$dir/smol.gguf", 1000000) or die;
my $out = $s->query_until(qr/finished/, '');
like($out, qr/\Q$expect\E/, 'a call finishes on its copy while the file is truncated');
my ($ret, $o, $err) = $node->psql('postgres', $long);
like($err, qr/has changed since model "smol" was registered/, 'the next call notices the change');
copy("$dir/smol-original.gguf", "$dir/smol.gguf") or die;
is($s->query_safe($long), $expect, 'the same session answers again once the file is back');
$s->quit;
ok(!$node->log_contains(qr/terminated by signal/), 'no backend died');

ok($node->log_contains(qr/llm: call on model "smol" took [0-9.]+ ms: 1 row, \d+ prompt tokens, \d+ generated, 1 thread/),
	'llm.log_min_duration logs calls with their figures');

# parallel workers load the model themselves and agree with the leader
$node->safe_psql('postgres', "CREATE TABLE t AS SELECT g, 'Once upon a time ' || g AS body FROM generate_series(1, 2000) g");
my $par = "SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0; "
  . "SET max_parallel_workers_per_gather = 2; SET parallel_leader_participation = off; ";
like($node->safe_psql('postgres', $par . "EXPLAIN (COSTS OFF) SELECT sum(llm_token_count(body, 'stories')) FROM t"),
	qr/Workers Planned: 2/, 'inference functions run in parallel workers');
is($node->safe_psql('postgres', $par . "SELECT sum(llm_token_count(body, 'stories')) FROM t"),
	$node->safe_psql('postgres', "SELECT sum(llm_token_count(body, 'stories')) FROM t"),
	'parallel workers count the same tokens as one backend');

$node->stop;
done_testing();
