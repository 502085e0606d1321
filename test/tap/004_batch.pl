# llm-batch: a whole table labelled from outside the database over libpq.
# A clean run gives what per-row llm_classify gives; a run killed with
# SIGKILL, one cut off by a server restart and one stopped with SIGINT all
# keep what they committed, and a rerun finishes with every row written
# exactly once; rows another session holds are waited for, not skipped;
# summarize and generate; usage and server errors and their exit statuses.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use File::Copy;
use IPC::Run;
use Test::More;

my $batch = $ENV{LLM_BATCH} or die "LLM_BATCH must name bin/llm-batch";
my $shared = $ENV{LLM_SHARED} or die "LLM_SHARED must name ../shared";
my $dir = PostgreSQL::Test::Utils::tempdir;
my $n_rows = 400;

copy("$shared/models/stories260K.gguf", "$dir/stories.gguf") or die;
copy("$shared/parity/stories260K.Q8_0.gguf", "$dir/stories-q8.gguf") or die;

my $node = PostgreSQL::Test::Cluster->new('batch');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'llm'
llm.context_size = 1024
});
$node->start;
$node->safe_psql('postgres', qq{
CREATE EXTENSION llm;
INSERT INTO llm_models (name, path) VALUES ('stories', '$dir/stories.gguf'),
  ('stories-q8', '$dir/stories-q8.gguf');
});


# Real text: the descriptions of the installed Debian packages, cut to fit
# the context comfortably.
$node->safe_psql('postgres', qq{
CREATE TABLE pkg (id int PRIMARY KEY, body text, label text, expect text);
INSERT INTO pkg (id, body)
  SELECT n, left(m[1], 300)
  FROM regexp_matches(pg_read_file('/var/lib/dpkg/status'),
                      E'\\nDescription: ([^\\n]*(\\n [^\\n]*)*)', 'g') WITH ORDINALITY AS r(m, n)
  WHERE n <= $n_rows;
});
is($node->safe_psql('postgres', "SELECT count(*) FROM pkg"), $n_rows,
	"$n_rows package descriptions to label");

my @labels = ('ball', 'toy', 'car');	# the tiny story model splits these about evenly
my $labels_sql = "ARRAY['" . join("','", @labels) . "']";
my @classify = ('--table', 'pkg', '--key', 'id', '--input', 'body', '--output', 'label',
	'--task', 'classify', '--labels', join(',', @labels), '--model', 'stories');

# llm-batch to completion: (exit status, stdout, stderr)
sub run_batch
{
	my ($out, $err) = ('', '');
	IPC::Run::run([ $batch, @_ ], '>', \$out, '2>', \$err, IPC::Run::timeout(300));
	return ($? >> 8, $out, $err);
}

# llm-batch in the background
sub start_batch
{
	my $r = { out => '', err => '' };
	$r->{h} = IPC::Run::start([ $batch, @_ ], '>', \$r->{out}, '2>', \$r->{err},
		IPC::Run::timeout(300));
	return $r;
}

sub finish_batch
{
	my ($r) = @_;
	$r->{h}->finish;
	return $r->{h}->full_result(0);
}

sub labelled
{
	return $node->safe_psql('postgres', "SELECT count(label) FROM pkg");
}

# poll until the run has written some rows, but far from all
sub wait_rows
{
	my ($n) = @_;
	$node->poll_query_until('postgres', "SELECT count(label) >= $n FROM pkg")
	  or die "llm-batch wrote no rows";
}

my $connstr = $node->connstr('postgres');
my ($rc, $out, $err);

# ---- usage ----
($rc, $out, $err) = run_batch('--help');
is($rc, 0, '--help exits 0');
like($out, qr/^usage: llm-batch CONNINFO --table T/, '--help prints the usage on stdout');
($rc, $out, $err) = run_batch();
is($rc, 2, 'no arguments: exit 2');
like($err, qr/no CONNINFO given.*usage: llm-batch/s, 'no arguments: the message and the usage on stderr');
for my $case (
	[ [ @classify, '--bogus' ], qr/unknown option "--bogus"/, 'an unknown option' ],
	[ [ @classify, '--jobs', 'x' ], qr/--jobs: "x" is not a number from 1 to 64/, 'a non-numeric count' ],
	[ [ @classify, '--jobs', '0' ], qr/--jobs: "0" is not a number/, 'no jobs' ],
	[ [ @classify, '--chunk', '10001' ], qr/--chunk: "10001" is not a number from 1 to 10000/, 'a chunk too large' ],
	[ [ @classify, '--chunk', '5x' ], qr/--chunk: "5x"/, 'a count with trailing junk' ],
	[ [ '--table', 'pkg', '--key', 'id', '--input', 'body', '--output', 'label' ], qr/--task is required/, 'a missing --task' ],
	[ [ '--table', 'pkg', '--key', 'id', '--input', 'body', '--output', 'label', '--task', 'translate' ],
		qr/--task must be classify, summarize or generate/, 'an unknown task' ],
	[ [ '--table', 'pkg', '--key', 'id', '--input', 'body', '--output', 'label', '--task', 'classify' ],
		qr/--task classify needs --labels/, 'classify without labels' ],
	[ [ @classify, '--max-words', '10' ], qr/--max-words is for --task summarize only/, 'an option of another task' ],
	[ [ @classify, '--labels', 'a,b' ], qr/--labels given twice/, 'an option given twice' ],
	[ [ @classify, '--read-from' ], qr/--read-from needs a value/, '--read-from without a value' ],
	[ [ @classify, 'dbname=other' ], qr/unexpected argument "dbname=other"/, 'two CONNINFOs' ])
{
	my ($args, $re, $name) = @$case;
	($rc, $out, $err) = run_batch($connstr, @$args);
	is($rc, 2, "$name: exit 2");
	like($err, qr/$re.*usage:/s, "$name: the message and the usage");
}
($rc, $out, $err) = run_batch($connstr, @classify, '--chunk=0');
like($err, qr/--chunk: "0" is not a number/, 'the --name=value spelling');
($rc, $out, $err) = run_batch($connstr, '--table=nope', @classify[ 2 .. $#classify ]);
like($err, qr/relation "nope" does not exist/, 'the --name=value spelling of a name');

# ---- errors from the server: exit 1 with its message ----
($rc, $out, $err) = run_batch($connstr, '--table', 'nope', @classify[ 2 .. $#classify ]);
is($rc, 1, 'a missing table: exit 1');
like($err, qr/ERROR:  relation "nope" does not exist \(SQLSTATE 42P01\)/, 'a missing table: the server\'s error');
($rc, $out, $err) = run_batch($connstr, @classify[ 0 .. 3 ], '--input', 'nope', @classify[ 6 .. $#classify ]);
is($rc, 1, 'a missing column: exit 1');
like($err, qr/ERROR:  column "nope" does not exist \(SQLSTATE 42703\)/, 'a missing column: the server\'s error');
($rc, $out, $err) = run_batch($connstr, '--table', 'PKG', @classify[ 2 .. $#classify ]);
like($err, qr/relation "PKG" does not exist/, 'names are exact, not folded to lower case');
($rc, $out, $err) = run_batch($connstr, @classify[ 0 .. 1 ], '--key', 'body', '--input', 'id', @classify[ 6 .. $#classify ]);
is($rc, 1, 'a key without a unique index: exit 1');
like($err, qr/key column "body" of table "pkg" has no unique index/, 'a key without a unique index is refused');
is(labelled(), 0, 'nothing was written by the failed runs');

# ---- a clean run gives what llm_classify gives row by row ----
$node->safe_psql('postgres', "UPDATE pkg SET expect = llm_classify(body, $labels_sql, 'stories')");
{
	local $ENV{LLM_BATCH_PROGRESS_SECONDS} = '0.2';
	($rc, $out, $err) = run_batch($connstr, @classify, '--jobs', '2', '--chunk', '16');
}
is($rc, 0, 'a clean run exits 0');
like($out, qr/done: $n_rows rows in [\d.]+ s, [\d.]+ rows\/s/, 'the summary line');
like($err, qr/^progress: \d+\/$n_rows rows, [\d.]+ rows\/s, eta /m, 'progress lines when stderr is not a terminal');
is(labelled(), $n_rows, 'every row is labelled');
is($node->safe_psql('postgres', "SELECT count(*) FROM pkg WHERE label IS DISTINCT FROM expect"), '0',
	'the labels are what UPDATE ... SET label = llm_classify(body, labels, model) gives');
note('labels: ' . $node->safe_psql('postgres', "SELECT string_agg(label || ' ' || n, ', ') FROM (SELECT label, count(*) AS n FROM pkg GROUP BY 1) s"));
($rc, $out, $err) = run_batch($connstr, @classify);
is($rc, 0, 'a run with nothing to do exits 0');
like($out, qr/nothing to do/, 'and says so');

# From here on, every write of a label is recorded, so that a row written
# twice would show.
$node->safe_psql('postgres', q{
CREATE TABLE writes (id int, label text);
CREATE FUNCTION record_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO writes VALUES (NEW.id, NEW.label);
	RETURN NULL;
END $$;
CREATE TRIGGER record_write AFTER UPDATE ON pkg FOR EACH ROW WHEN (NEW.label IS NOT NULL)
	EXECUTE FUNCTION record_write();
});

sub reset_labels
{
	$node->safe_psql('postgres', "UPDATE pkg SET label = NULL; TRUNCATE writes");
}

sub check_written_once
{
	my ($name) = @_;
	is($node->safe_psql('postgres', "SELECT count(*) FROM pkg WHERE label IS DISTINCT FROM expect"), '0',
		"$name: every row has the clean run's label");
	is($node->safe_psql('postgres', "SELECT count(*) || ' ' || count(DISTINCT id) FROM writes"),
		"$n_rows $n_rows", "$name: every row was written exactly once");
}

# ---- SIGKILL mid-run, then a rerun ----
reset_labels();
my $r = start_batch($connstr, @classify, '--jobs', '2', '--chunk', '4');
wait_rows(40);
$r->{h}->signal('KILL');
my $status = finish_batch($r);
is($status & 127, 9, 'llm-batch was killed');
my $after_kill = labelled();
ok($after_kill > 0 && $after_kill < $n_rows, "the killed run kept the chunks it committed ($after_kill rows)");
# at once: the backends of the killed run may still be finishing their chunks
($rc, $out, $err) = run_batch($connstr, @classify, '--jobs', '2', '--chunk', '4');
is($rc, 0, 'the rerun after SIGKILL exits 0');
like($out, qr/done: \d+ rows/, 'the rerun reports its rows');
check_written_once('after SIGKILL and a rerun');

# ---- the server restarted mid-run ----
reset_labels();
$r = start_batch($connstr, @classify, '--jobs', '2', '--chunk', '4');
wait_rows(40);
$node->restart;
$status = finish_batch($r);
is($status >> 8, 1, 'a run whose server restarts exits 1');
like($r->{err}, qr/job [12] \(keys: "id" (?:<=|>) '\d+'\) failed .*: FATAL:  terminating connection due to administrator command \(SQLSTATE 57P01\)/,
	'the failure names the job, its key range, the server\'s message and SQLSTATE');
like($r->{out}, qr/failed: \d+ of $n_rows rows done.*rerun to finish/, 'the summary says what was done');
ok(labelled() < $n_rows, 'the run was cut short');
($rc, $out, $err) = run_batch($connstr, @classify, '--jobs', '2', '--chunk', '4');
is($rc, 0, 'the rerun after the restart exits 0');
check_written_once('after a server restart and a rerun');

# ---- SIGINT: the current chunks are committed, then it stops ----
reset_labels();
$r = start_batch($connstr, @classify, '--jobs', '2', '--chunk', '4');
wait_rows(40);
$r->{h}->signal('INT');
$status = finish_batch($r);
is($status >> 8, 1, 'SIGINT: exit 1');
like($r->{err}, qr/interrupted: stopping after the current chunks/, 'SIGINT: it says it stops');
my ($reported) = $r->{out} =~ /interrupted: (\d+) of $n_rows rows done/;
ok(defined $reported && $reported < $n_rows, 'SIGINT: the summary says how many rows were done');
is(labelled(), $reported, 'SIGINT: exactly the rows reported are written: the running chunks were committed');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%batch_todo%' AND state = 'active' AND pid <> pg_backend_pid()"),
	'0', 'SIGINT: no chunk is left running on the server');
($rc, $out, $err) = run_batch($connstr, @classify, '--chunk', '4');
is($rc, 0, 'the rerun after SIGINT exits 0');
check_written_once('after SIGINT and a rerun');

# ---- rows another session holds are waited for, not skipped ----
$node->safe_psql('postgres', "UPDATE pkg SET label = NULL WHERE id <= 60; DELETE FROM writes WHERE id <= 60");
my $holder = $node->background_psql('postgres');
$holder->query_safe("BEGIN; SELECT id FROM pkg WHERE id BETWEEN 11 AND 20 FOR UPDATE");
$r = start_batch($connstr, @classify, '--jobs', '2', '--chunk', '4');
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 50 FROM pkg WHERE id <= 60 AND label IS NOT NULL"),
	'the other rows are done while ten are locked');
ok($node->poll_query_until('postgres',
		"SELECT count(*) > 0 FROM pg_stat_activity WHERE query LIKE '%batch_todo%' AND wait_event_type = 'Lock'"),
	'then llm-batch waits for the locked rows');
$holder->query_safe("ROLLBACK");
$holder->quit;
$status = finish_batch($r);
is($status >> 8, 0, 'it finishes once they are free');
check_written_once('rows locked by another session');

# ---- a job's error: exit 1 with the range and the server's message ----
reset_labels();
($rc, $out, $err) = run_batch($connstr, @classify[ 0 .. 11 ], '--jobs', '1');
is($rc, 1, 'no model and no default model: exit 1');
like($err, qr/job 1 \(keys: all\) failed before its first chunk: ERROR:  .*\(SQLSTATE 42704\)/,
	'the server\'s error and SQLSTATE, with the range');

# ---- summarize and generate; a text key and names that need quoting ----
$node->safe_psql('postgres', q{
CREATE TABLE "Gen Table" ("Key" text PRIMARY KEY, prompt varchar, summary text, answer text);
INSERT INTO "Gen Table" ("Key", prompt)
  SELECT 'p' || id, body FROM pkg WHERE id <= 11;
INSERT INTO "Gen Table" ("Key", prompt) VALUES ('p99', 'Once upon a time'), ('q0', NULL);
});
my @gen = ('--table', 'public.Gen Table', '--key', 'Key', '--input', 'prompt', '--model', 'stories-q8',
	'--jobs', '3', '--chunk', '2');
($rc, $out, $err) = run_batch($connstr, @gen, '--output', 'summary', '--task', 'summarize', '--max-words', '8');
is($rc, 0, 'summarize: exit 0');
like($out, qr/done: 12 rows/, 'summarize: 12 rows');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM "Gen Table" WHERE prompt IS NOT NULL AND summary IS DISTINCT FROM llm_summarize(prompt, 'stories-q8', 8)}),
	'0', 'summarize: what llm_summarize gives row by row');
($rc, $out, $err) = run_batch($connstr, @gen, '--output', 'answer', '--task', 'generate', '--max-tokens', '12');
is($rc, 0, 'generate: exit 0');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM "Gen Table" WHERE prompt IS NOT NULL AND answer IS DISTINCT FROM llm_generate(prompt, 'stories-q8', 12)}),
	'0', 'generate: what llm_generate gives row by row (greedy)');
is($node->safe_psql('postgres', q{SELECT answer FROM "Gen Table" WHERE "Key" = 'p99'}),
	$node->safe_psql('postgres', "SELECT llm_generate('Once upon a time', 'stories-q8', max_tokens => 12, temperature => 0)"),
	'generate: the input is the prompt');
is($node->safe_psql('postgres', q{SELECT count(*) FROM "Gen Table" WHERE summary IS NULL OR answer IS NULL}), '1',
	'a row whose input is NULL is left alone');

$node->stop;
done_testing();
