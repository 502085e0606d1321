# The shared model pool, on a server with shared_preload_libraries = 'llm':
# preloading, loading and unloading under use, a backend killed mid-call,
# model files truncated, copied over and deleted while in use, and the
# compute budget making a call wait.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use File::Copy;
use Test::More;

my $cli = $ENV{LLM_CLI} or die "LLM_CLI must name bin/llm-cli";
my $shared = $ENV{LLM_SHARED} or die "LLM_SHARED must name ../shared";
my $dir = PostgreSQL::Test::Utils::tempdir;

# a tiny real model, and a full-size random one whose calls take seconds
copy("$shared/models/stories260K.gguf", "$dir/stories.gguf") or die;
copy("$shared/parity/stories260K.Q8_0.gguf", "$dir/stories-q8.gguf") or die;
system($cli, 'synth', '--shape', 'smollm2-135m', '--type', 'q8_0', '--out', "$dir/smol.gguf") == 0
  or die "synth failed";
copy("$dir/smol.gguf", "$dir/smol-original.gguf") or die;

my $node = PostgreSQL::Test::Cluster->new('pool');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'llm'
llm.preload_models = 'postgres:stories, postgres:smol'
llm.max_compute_threads = 1
llm.context_size = 1024
restart_after_crash = on
});
$node->start;
$node->safe_psql('postgres', qq{
CREATE EXTENSION llm;
INSERT INTO llm_models (name, path) VALUES ('stories', '$dir/stories.gguf'),
  ('smol', '$dir/smol.gguf'), ('stories-q8', '$dir/stories-q8.gguf');
});

my $long = "SELECT md5(llm_generate('Once upon a time', 'smol', max_tokens => 300, temperature => 0))";
my $short = "SELECT llm_generate('Once upon a time', 'stories', max_tokens => 20, temperature => 0)";
my $expect_long = $node->safe_psql('postgres', $long);
my $expect_short = $node->safe_psql('postgres', $short);

sub status
{
	my ($name, $cols) = @_;
	return $node->safe_psql('postgres',
		"SELECT $cols FROM llm_model_status WHERE name = '$name'");
}

# a session running a long call in the background
sub start_long
{
	my $s = $node->background_psql('postgres');
	my $pid = $s->query_safe('SELECT pg_backend_pid()');
	$s->query_until(qr/started/, "\\echo started\n$long;\n\\echo finished\n");
	return ($s, $pid);
}

sub finish_long
{
	my ($s) = @_;
	my $out = $s->query_until(qr/finished/, '');
	$s->quit;
	return $out =~ /([0-9a-f]{32})/ ? $1 : "no result in: $out";
}

sub running
{
	my ($pid) = @_;
	$node->poll_query_until('postgres',
		"SELECT state = 'active' AND query LIKE '%llm_generate%' FROM pg_stat_activity WHERE pid = $pid")
	  or die "the long call did not start";
}

# ---- preloading at server start ----
$node->restart;
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 2 FROM llm_model_status WHERE name IN ('stories', 'smol') AND state = 'loaded'"),
	'llm.preload_models loads the models at server start');
is(status('stories', 'storage'), 'shared memory', 'preloaded models live in shared memory');
is(status('stories-q8', 'state'), 'not loaded', 'models not preloaded are listed as not loaded');
is($node->safe_psql('postgres', $short), $expect_short, 'a preloaded model gives the same answer');
ok($node->poll_query_until('postgres', "SELECT attached_backends = 0 FROM llm_model_status WHERE name = 'stories'"),
	'a backend that exited is no longer attached');

# one file under two names (here, or in two databases): one mapping per backend
$node->safe_psql('postgres', "INSERT INTO llm_models (name, path) VALUES ('stories-too', '$dir/stories.gguf')");
is($node->safe_psql('postgres', "SELECT llm_token_count('hello', 'stories'); SELECT llm_token_count('hello', 'stories-too'); SELECT llm_unload('stories-too'); SELECT llm_generate('Once upon a time', 'stories', max_tokens => 20, temperature => 0)"),
	"4\n4\nt\n$expect_short", 'a backend uses one file under two names, and unloads it through either');
$node->safe_psql('postgres', "DELETE FROM llm_models WHERE name = 'stories-too'");
ok($node->poll_query_until('postgres', "SELECT attached_backends = 0 FROM llm_model_status WHERE name = 'stories'"),
	'no attachment is left behind');

# a grammar's token trie is kept with the backend's attachment: it goes when
# the pool unloads the model, and is built again for the new attachment
my $yes_no = q{llm_generate('Once', 'stories', grammar => 'root ::= "yes" | "no"') IN ('yes', 'no')};
is($node->safe_psql('postgres', "SELECT $yes_no; SELECT llm_unload('stories'); SELECT $yes_no; SELECT $yes_no"),
	"t\nt\nt\nt", 'a constrained call after the model was unloaded and attached again');

# ---- llm.lock_memory: the weights locked, or a warning naming the limit ----
{
	my $l = $node->background_psql('postgres', on_error_stop => 0);
	my $lpid = $l->query_safe('SELECT pg_backend_pid()');
	$l->query_safe("SET llm.lock_memory = on");
	$l->query("SELECT llm_token_count('hello', 'smol')");
	my $warning = $l->{stderr};
	my ($limit) = slurp_file("/proc/$lpid/limits") =~ /^Max locked memory\s+(\S+)/m;
	my ($locked_kb) = slurp_file("/proc/$lpid/status") =~ /^VmLck:\s+(\d+) kB/m;
	if ($limit eq 'unlimited' || $limit >= -s "$dir/smol.gguf")
	{
		ok($locked_kb * 1024 >= -s "$dir/smol.gguf", "the model is locked in memory ($locked_kb kB)");
	}
	else
	{
		like($warning, qr/could not lock the \d+ MB of model "smol" in memory.*memlock limit is \d+ kB/s,
			"a memlock limit of $limit bytes gives a warning naming it");
	}
	$l->quit;
}

# ---- parallel workers attach to the pool like any backend ----
$node->safe_psql('postgres', "CREATE TABLE par AS SELECT g, 'Once upon a time ' || g AS body FROM generate_series(1, 2000) g");
my $par = "SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0; "
  . "SET max_parallel_workers_per_gather = 2; SET parallel_leader_participation = off; ";
like($node->safe_psql('postgres', $par . "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT sum(llm_token_count(body, 'stories')) FROM par"),
	qr/Workers Launched: [12]/, 'a parallel query runs the inference function in workers');
is($node->safe_psql('postgres', $par . "SELECT sum(llm_token_count(body, 'stories')) FROM par"),
	$node->safe_psql('postgres', "SELECT sum(llm_token_count(body, 'stories')) FROM par"),
	'the workers attach to the shared model and agree with one backend');
is($node->safe_psql('postgres', "SELECT storage FROM llm_model_status WHERE name = 'stories'"),
	'shared memory', 'and the model is still the one shared copy');

# With the planner's default costs, the functions' COST alone makes a
# parallel plan win once the table may have workers: CREATE TABLE AS with a
# classification runs in them, with the labels of a serial run.
$node->safe_psql('postgres', "CREATE TABLE par_small AS SELECT g, 'Once upon a time ' || g AS body FROM generate_series(1, 24) g; "
	. "ALTER TABLE par_small SET (parallel_workers = 2)");
my $cls = "llm_classify(body, ARRAY['happy', 'sad'], 'stories')";
like($node->safe_psql('postgres', "SET max_parallel_workers_per_gather = 2; "
	. "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) CREATE TABLE par_lab AS SELECT g, $cls AS label FROM par_small"),
	qr/Workers Launched: [12]/, 'CREATE TABLE AS with llm_classify runs in parallel workers at default planner costs');
$node->safe_psql('postgres', "DROP TABLE par_lab");
$node->safe_psql('postgres', "SET max_parallel_workers_per_gather = 2; CREATE TABLE par_lab AS SELECT g, $cls AS label FROM par_small");
is($node->safe_psql('postgres', "SELECT count(*) FROM par_lab l JOIN par_small p USING (g) WHERE l.label IS DISTINCT FROM $cls"),
	'0', 'the workers give the labels one backend gives');
like($node->safe_psql('postgres', "SET max_parallel_workers_per_gather = 2; "
	. "EXPLAIN (COSTS OFF) SELECT g FROM par_small WHERE $cls = 'sad' AND g = 3"),
	qr/Filter: \(\(g = 3\) AND \(llm_classify\(/,
	'the cheap condition is evaluated before the classification');
# llm_extract too: each worker builds the token trie of its attachment, and
# gives the answers one backend gives
my $ext = q{llm_extract(body, '{"type": "object", "properties": {"n": {"type": "integer"}, "ok": {"type": "boolean"}}, "required": ["n", "ok"]}', 'stories')};
like($node->safe_psql('postgres', "SET max_parallel_workers_per_gather = 2; "
	. "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) CREATE TABLE par_ext AS SELECT g, $ext AS e FROM par_small"),
	qr/Workers Launched: [12]/, 'CREATE TABLE AS with llm_extract runs in parallel workers');
is($node->safe_psql('postgres', "SELECT count(*), count(*) FILTER (WHERE x.e IS DISTINCT FROM $ext) FROM par_ext x JOIN par_small p USING (g)"),
	'24|0', 'the workers extract what one backend extracts');

# ---- unload while another session uses the model, then load again ----
my ($s, $pid) = start_long();
running($pid);
is($node->safe_psql('postgres', "SELECT llm_unload('smol')"), 't', 'llm_unload of a model in use');
is(status('smol', 'state || attached_backends'), 'unloading1',
	'unloaded but still attached: the memory stays for the running call');
is(finish_long($s), $expect_long, 'the running call finishes on the unloaded model with the right answer');
ok($node->poll_query_until('postgres',
		"SELECT state = 'not loaded' FROM llm_model_status WHERE name = 'smol'"),
	'the memory goes with the last user');
is($node->safe_psql('postgres', "SELECT llm_load('smol')"), 't', 'llm_load reads it again');
is($node->safe_psql('postgres', "SELECT llm_load('smol')"), 'f', 'llm_load of a loaded model does nothing');
is($node->safe_psql('postgres', $long), $expect_long, 'the reloaded model gives the same answer');

# ---- a symbolic-link deployment: the old version leaves the pool ----
symlink("stories.gguf", "$dir/current.gguf") or die;
$node->safe_psql('postgres', "INSERT INTO llm_models (name, path) VALUES ('dep', '$dir/current.gguf')");
$node->safe_psql('postgres', "SELECT llm_generate('Once', 'dep', max_tokens => 2)");
unlink("$dir/current.gguf");
symlink("stories-q8.gguf", "$dir/current.gguf") or die;
$node->safe_psql('postgres', "UPDATE llm_models SET path = path WHERE name = 'dep'");
$node->safe_psql('postgres', "SELECT llm_generate('Once', 'dep', max_tokens => 2)");
is($node->safe_psql('postgres', "SELECT string_agg(path || ' ' || state, ', ' ORDER BY path) FROM llm_model_status WHERE name = 'dep'"),
	"$dir/stories-q8.gguf loaded", 'after a link deployment the registration shows the new version loaded');
ok($node->poll_query_until('postgres',
	"SELECT count(*) = 0 FROM llm_model_status WHERE path = '$dir/stories.gguf' AND name <> 'stories'"),
	'and the old version loaded under its name is gone from the pool');
is($node->safe_psql('postgres', "SELECT llm_unload('dep')"), 't', 'llm_unload of the deployed name');
ok($node->poll_query_until('postgres',
	"SELECT count(*) = 0 FROM llm_model_status WHERE path = '$dir/stories-q8.gguf' AND state = 'loaded'"),
	'unloads it');
# two names for one file share the pool entry, and both show it loaded
$node->safe_psql('postgres', "INSERT INTO llm_models (name, path) VALUES ('alias', '$dir/stories.gguf')");
$node->safe_psql('postgres', "SELECT llm_generate('Once', 'alias', max_tokens => 2)");
is($node->safe_psql('postgres', "SELECT string_agg(name || ' ' || state, ', ' ORDER BY name) FROM llm_model_status WHERE path = '$dir/stories.gguf'"),
	'alias loaded, stories loaded', 'two registrations of one file both show its pool entry');
$node->safe_psql('postgres', "DELETE FROM llm_models WHERE name IN ('dep', 'alias')");

# ---- the compute budget: one thread for the whole server ----
($s, $pid) = start_long();
running($pid);
my $w = $node->background_psql('postgres');
my $wpid = $w->query_safe('SELECT pg_backend_pid()');
$w->query_until(qr/started/,
	"\\echo started\nSELECT llm_score('Once upon a time there was', 'stories') IS NOT NULL AS scored;\n\\echo finished\n");
ok($node->poll_query_until('postgres',
		"SELECT wait_event_type = 'Extension' FROM pg_stat_activity WHERE pid = $wpid"),
	'a call waits for a thread while the budget is in use, shown as wait event type Extension');
is(finish_long($s), $expect_long, 'the call holding the thread finishes');
like($w->query_until(qr/finished/, ''), qr/\bt\b/, 'the waiting call runs once the thread is free');
$w->quit;

# a waiting call is cancellable, and gives back its place in the queue
($s, $pid) = start_long();
running($pid);
$w = $node->background_psql('postgres', on_error_stop => 0);
$wpid = $w->query_safe('SELECT pg_backend_pid()');
$w->query_until(qr/started/,
	"\\echo started\nSELECT llm_score('Once upon a time', 'stories');\n\\echo finished\n");
$node->poll_query_until('postgres',
	"SELECT wait_event_type = 'Extension' FROM pg_stat_activity WHERE pid = $wpid") or die;
$node->safe_psql('postgres', "SELECT pg_cancel_backend($wpid)");
$w->query_until(qr/finished/, '');
like($w->{stderr}, qr/canceling statement due to user request/, 'a waiting call is cancelled');
$w->quit;
is(finish_long($s), $expect_long, 'the running call is not disturbed');
is($node->safe_psql('postgres', $short), $expect_short, 'the budget is whole again after a cancel');

# an array call cancelled while it waits leaves no threads or memory behind
($s, $pid) = start_long();
running($pid);
$w = $node->background_psql('postgres', on_error_stop => 0);
$wpid = $w->query_safe('SELECT pg_backend_pid()');
$w->query_safe("SET llm.threads = 2");
my $proc_status = sub {
	my $st = slurp_file("/proc/$wpid/status");
	my ($threads) = $st =~ /^Threads:\s+(\d+)/m;
	my ($data) = $st =~ /^VmData:\s+(\d+) kB/m;
	return ($threads, $data);
};
my @cancels;
for my $round (1 .. 4)
{
	$w->query_until(qr/started/,
		"\\echo started\nSELECT llm_classify(ARRAY['Once upon a time', 'The end'], ARRAY['a', 'b'], 'stories');\n\\echo finished\n");
	$node->poll_query_until('postgres',
		"SELECT wait_event_type = 'Extension' FROM pg_stat_activity WHERE pid = $wpid") or die;
	$node->safe_psql('postgres', "SELECT pg_cancel_backend($wpid)");
	$w->query_until(qr/finished/, '');
	push @cancels, [ $proc_status->() ];
}
$w->quit;
is($cancels[3][0], $cancels[0][0], "cancelled array calls leave no threads behind ($cancels[0][0] then $cancels[3][0])");
ok($cancels[3][1] - $cancels[0][1] < 4096,
	"nor memory (VmData $cancels[0][1] kB after the first cancel, $cancels[3][1] kB after the fourth)");
is(finish_long($s), $expect_long, 'the running call is not disturbed by them');

# ---- a backend killed with SIGKILL in the middle of a call ----
($s, $pid) = start_long();
running($pid);
kill 'KILL', $pid;
$s->{run}->kill_kill;
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 2 FROM llm_model_status WHERE name IN ('stories', 'smol') AND state = 'loaded'"),
	'after the crash restart the preload worker loads the models again');
is($node->safe_psql('postgres', "SELECT sum(attached_backends) FROM llm_model_status"), '0',
	'the registry is consistent after the restart');
is($node->safe_psql('postgres', $long), $expect_long, 'the model answers as before after the restart');

# ---- attaching fails half-way (out of address space): nothing is stranded ----
# An address-space limit just above what the backend maps lets the file
# segment map and the tokenizer segment (or the model's own tables) fail;
# a range of limits makes sure some call fails there.
# A session whose address space may grow by the model file plus extra_kb
# from what it maps now; stderr cleared for the next query.
sub limited_session
{
	my ($extra_kb) = @_;
	my $a = $node->background_psql('postgres', on_error_stop => 0);
	my $apid = $a->query_safe('SELECT pg_backend_pid()');
	$a->query_safe('SELECT count(*) FROM llm_models');
	my ($vm) = slurp_file("/proc/$apid/status") =~ /^VmSize:\s+(\d+) kB/m;
	system('prlimit', "--pid=$apid", '--as=' . ($vm * 1024 + (-s "$dir/smol.gguf") + $extra_kb * 1024) . ':');
	$a->{stderr} = '';
	return ($a, $apid);
}

SKIP:
{
	skip 'prlimit is not installed', 5 unless system('prlimit --version >/dev/null 2>&1') == 0;
	my $stranded = 0;
	my $failed = 0;
	$node->safe_psql('postgres', "SELECT llm_load('smol')");
	my $hello = $node->safe_psql('postgres', "SELECT llm_token_count('hello', 'smol')");
	for my $extra_kb (map { 448 + 64 * $_ } 0 .. 10)
	{
		my ($a, $apid) = limited_session($extra_kb);
		$a->query("SELECT llm_token_count('hello', 'smol')");
		$failed++ if $a->{stderr} =~ /ERROR/;
		system('prlimit', "--pid=$apid", '--as=unlimited:');
		$a->{stderr} = '';
		my $again = $a->query("SELECT llm_token_count('hello', 'smol')");
		$stranded++ if $a->{stderr} =~ /ERROR/ || $again ne $hello;
		$a->quit;
	}
	ok($failed > 0, "some attaches failed under the limit ($failed of 11)");
	is($stranded, 0, 'after a failed attach the same session attaches again');
	ok($node->poll_query_until('postgres', "SELECT attached_backends = 0 FROM llm_model_status WHERE name = 'smol'"),
		'and no attach count is left behind');

	# a load that fails half-way (its segments or the tokenizer's tables)
	# leaves the slot free for the next try
	$node->safe_psql('postgres', "SELECT llm_unload('smol')");
	$node->poll_query_until('postgres', "SELECT state = 'not loaded' FROM llm_model_status WHERE name = 'smol'") or die;
	my $load_failed = 0;
	for my $extra_kb (map { 256 * $_ } 0 .. 16)
	{
		my ($a) = limited_session($extra_kb);
		$a->query("SELECT llm_load('smol')");
		$load_failed++ if $a->{stderr} =~ /ERROR/;
		$a->quit;
		last if $a->{stderr} !~ /ERROR/;
	}
	ok($load_failed > 0, "loads failed under the limit ($load_failed)");
	is($node->safe_psql('postgres', "SELECT llm_token_count('hello', 'smol')"), $hello,
		'after failed loads the model loads and answers');
}

# ---- the file truncated, copied over and deleted while in use ----
($s, $pid) = start_long();
running($pid);
truncate("$dir/smol.gguf", 1000000) or die;
is(finish_long($s), $expect_long, 'a call finishes on the pool copy while its file is truncated');
my ($ret, $out, $err) = $node->psql('postgres', $long);
like($err, qr/has changed since model "smol" was registered/, 'a truncated file is noticed at the next call');
copy("$dir/smol-original.gguf", "$dir/smol.gguf") or die;
is($node->safe_psql('postgres', $long), $expect_long,
	'the registered bytes copied back are used again, without re-registering');

($s, $pid) = start_long();
running($pid);
copy("$dir/stories-q8.gguf", "$dir/smol.gguf") or die;	# cp truncates, then writes
is(finish_long($s), $expect_long, 'a call finishes while another file is copied over its file');
$node->safe_psql('postgres', "UPDATE llm_models SET path = path WHERE name = 'smol'");
is($node->safe_psql('postgres', "SELECT llm_generate('Once upon a time', 'smol', max_tokens => 20, temperature => 0)"),
	$node->safe_psql('postgres', "SELECT llm_generate('Once upon a time', 'stories-q8', max_tokens => 20, temperature => 0)"),
	'after UPDATE ... SET path = path the new file answers');
is($node->safe_psql('postgres', "SELECT count(*) FROM llm_model_status WHERE path = '$dir/smol.gguf' AND state = 'loaded'"),
	'1', 'the old version left the pool when the new one was loaded');

copy("$dir/smol-original.gguf", "$dir/smol.gguf") or die;
$node->safe_psql('postgres', "UPDATE llm_models SET path = path WHERE name = 'smol'; SELECT llm_load('smol')");
($s, $pid) = start_long();
running($pid);
unlink("$dir/smol.gguf") or die;
is(finish_long($s), $expect_long, 'a call finishes while its file is deleted');
($ret, $out, $err) = $node->psql('postgres', $long);
like($err, qr/cannot be read: No such file or directory/, 'a deleted file is an error at the next call');

ok(!$node->log_contains(qr/terminated by signal 7|Bus error/), 'no backend died of SIGBUS');
is($node->safe_psql('postgres', $short), $expect_short, 'the server still answers');

$node->stop;
done_testing();
