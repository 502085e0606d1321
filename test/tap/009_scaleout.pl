# llm-batch --read-from: the inference runs on two streaming hot standbys
# and the answers are written to the primary.  A clean run gives the labels
# per-row llm_classify gives on the primary, every row written exactly
# once; a standby killed mid-run, a standby whose model file is missing and
# one whose file is not the primary's are reported and the job finishes on
# the other standby and the primary; rows a standby has not replayed are
# done by the final pass on the primary; a hung standby's range is taken
# over; SIGINT and a rerun; summarize and generate with text keys that need
# quoting; an error about the data fails the run; and the catalog's message
# on a standby.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use File::Copy;
use IPC::Run;
use Test::More;

my $batch = $ENV{LLM_BATCH} or die "LLM_BATCH must name bin/llm-batch";
my $shared = $ENV{LLM_SHARED} or die "LLM_SHARED must name ../shared";
my $n_rows = 400;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'llm'
llm.context_size = 1024
});

# Separate hosts each have their own copy of the model file at the
# registered path.  On one machine every server would read the same file,
# so the model is registered at a path through /proc/self/cwd, which is
# each server's own data directory: the base backup copies the file to the
# standbys, and a standby's copy can be removed or replaced alone.
mkdir($primary->data_dir . '/models') or die;
copy("$shared/models/stories260K.gguf", $primary->data_dir . '/models/stories.gguf') or die;
$primary->start;
$primary->safe_psql('postgres', q{
CREATE EXTENSION llm;
INSERT INTO llm_models (name, path) VALUES ('stories', '/proc/self/cwd/models/stories.gguf');
});
my $sha = $primary->safe_psql('postgres', "SELECT sha256 FROM llm_models WHERE name = 'stories'");
like($sha, qr/^[0-9a-f]{64}$/, 'the model is registered with its SHA-256');
$primary->backup('base');

my @standbys;
for my $name ('standby1', 'standby2')
{
	my $s = PostgreSQL::Test::Cluster->new($name);
	$s->init_from_backup($primary, 'base', has_streaming => 1);
	$s->start;
	push @standbys, $s;
}
my ($s1, $s2) = @standbys;

# Real text: the descriptions of the installed Debian packages, as 004
# takes them; loaded after the backup, so the standbys get them by
# streaming replication.
$primary->safe_psql('postgres', qq{
CREATE TABLE pkg (id int PRIMARY KEY, body text, label text, expect text);
INSERT INTO pkg (id, body)
  SELECT n, left(m[1], 300)
  FROM regexp_matches(pg_read_file('/var/lib/dpkg/status'),
                      E'\\nDescription: ([^\\n]*(\\n [^\\n]*)*)', 'g') WITH ORDINALITY AS r(m, n)
  WHERE n <= $n_rows;
});
is($primary->safe_psql('postgres', "SELECT count(*) FROM pkg"), $n_rows,
	"$n_rows package descriptions to label");

my @labels = ('ball', 'toy', 'car');
my $labels_sql = "ARRAY['" . join("','", @labels) . "']";
my @classify = ('--table', 'pkg', '--key', 'id', '--input', 'body', '--output', 'label',
	'--task', 'classify', '--labels', join(',', @labels), '--model', 'stories');

# What a single server gives: per-row llm_classify on the primary.
$primary->safe_psql('postgres', "UPDATE pkg SET expect = llm_classify(body, $labels_sql, 'stories')");

# Every write of a label is recorded, so that a row written twice shows.
$primary->safe_psql('postgres', q{
CREATE TABLE writes (id int, label text);
CREATE FUNCTION record_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO writes VALUES (NEW.id, NEW.label);
	RETURN NULL;
END $$;
CREATE TRIGGER record_write AFTER UPDATE ON pkg FOR EACH ROW WHEN (NEW.label IS NOT NULL)
	EXECUTE FUNCTION record_write();
});

sub catch_up
{
	$primary->wait_for_catchup($_) for grep { $_->{_pid} } @standbys;
}
catch_up();

sub run_batch
{
	my ($out, $err) = ('', '');
	IPC::Run::run([ $batch, @_ ], '>', \$out, '2>', \$err, IPC::Run::timeout(300));
	return ($? >> 8, $out, $err);
}

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
	return $primary->safe_psql('postgres', "SELECT count(label) FROM pkg");
}

sub reset_labels
{
	$primary->safe_psql('postgres', "UPDATE pkg SET label = NULL; TRUNCATE writes");
	catch_up();
}

sub check_written_once
{
	my ($name, $n) = @_;
	$n //= $n_rows;
	is($primary->safe_psql('postgres', "SELECT count(*) FROM pkg WHERE label IS DISTINCT FROM expect"), '0',
		"$name: every row has the label per-row llm_classify gives on the primary");
	is($primary->safe_psql('postgres', "SELECT count(*) || ' ' || count(DISTINCT id) FROM writes"),
		"$n $n", "$name: every row was written exactly once");
}

# "rows by server: standby 1 (...) N, standby 2 (...) M, primary P"
sub by_server
{
	my ($out) = @_;
	my %n;
	my ($line) = $out =~ /^llm-batch: rows by server: (.*)$/m or return undef;
	$n{$1} = $2 while $line =~ /standby (\d) \([^)]*\) (\d+)/g;
	($n{primary}) = $line =~ /primary (\d+)$/;
	return \%n;
}

my $primary_conn = $primary->connstr('postgres');
my @read_from = map { ('--read-from', $_->connstr('postgres')) } @standbys;
my ($rc, $out, $err);

# ---- usage ----
($rc, $out, $err) = run_batch($primary_conn, @classify, '--read-from');
is($rc, 2, '--read-from without a value: exit 2');
like($err, qr/--read-from needs a value.*usage:/s, '--read-from without a value: the message and the usage');
($rc, $out, $err) = run_batch($primary_conn, @classify, '--jobs', '64', ('--read-from', 'x') x 5);
is($rc, 2, 'too many connections: exit 2');
like($err, qr/--jobs 64 on each of 5 --read-from servers is more than 256 connections/, 'too many connections: the message');
($rc, $out, $err) = run_batch($s1->connstr('postgres'), @classify, @read_from);
is($rc, 1, 'a standby as CONNINFO: exit 1');
like($err, qr/CONNINFO is a standby .*must be the primary; name standbys with --read-from/s,
	'a standby as CONNINFO: the answers are written there, so it is refused');
is(labelled(), 0, 'nothing was written');

# ---- a clean run over both standbys ----
my $standby_name = qr/standby \d \(host=\S+ port=\d+\)/;
{
	local $ENV{LLM_BATCH_PROGRESS_SECONDS} = '0.2';
	($rc, $out, $err) = run_batch($primary_conn, @classify, @read_from, '--jobs', '2', '--chunk', '8');
}
is($rc, 0, 'a run over two standbys exits 0') or diag($err);
like($out, qr/done: $n_rows rows in [\d.]+ s, [\d.]+ rows\/s/, 'the summary line');
like($err, qr/^progress: \d+\/$n_rows rows, [\d.]+ rows\/s, eta /m, 'progress lines when stderr is not a terminal');
my $n = by_server($out);
ok($n && $n->{1} > 0 && $n->{2} > 0, 'both standbys computed answers') or diag($out);
is($n->{1} + $n->{2}, $n_rows, 'the standbys did every row: the primary only took the writes');
is($n->{primary}, 0, 'the final pass on the primary found nothing left');
check_written_once('two standbys');
note('labels: ' . $primary->safe_psql('postgres', "SELECT string_agg(label || ' ' || n, ', ') FROM (SELECT label, count(*) AS n FROM pkg GROUP BY 1) s"));
($rc, $out, $err) = run_batch($primary_conn, @classify, @read_from);
is($rc, 0, 'a run with nothing to do exits 0');
like($out, qr/nothing to do/, 'and says so');

# ---- rows a standby has not replayed: the final pass on the primary ----
$s2->safe_psql('postgres', "SELECT pg_wal_replay_pause()");
$primary->safe_psql('postgres', qq{
INSERT INTO pkg (id, body) SELECT id + 1000, body FROM pkg WHERE id <= 30;
UPDATE pkg SET expect = llm_classify(body, $labels_sql, 'stories') WHERE id > 1000;
});
{
	local $ENV{LLM_BATCH_REPLAY_WAIT_SECONDS} = '1';
	($rc, $out, $err) = run_batch($primary_conn, @classify, '--read-from', $s2->connstr('postgres'));
}
is($rc, 0, 'a standby that has not replayed the new rows: exit 0') or diag($err);
like($err, qr/standby 1 \(host=\S+ port=\d+\) has not replayed the primary's WAL up to [0-9A-F]+\/[0-9A-F]+ after 1 s: going on/,
	'the lag is reported');
like($err, qr/final pass on the primary: 30 rows still NULL there/, 'the final pass says what is left');
$n = by_server($out);
is("$n->{1} $n->{primary}", '0 30', 'the primary did the 30 rows the standby could not see');
check_written_once('rows not replayed yet', $n_rows + 30);
$s2->safe_psql('postgres', "SELECT pg_wal_replay_resume()");
$primary->safe_psql('postgres', "DELETE FROM pkg WHERE id > 1000");

# ---- one standby killed mid-run ----
reset_labels();
my $r = start_batch($primary_conn, @classify, @read_from, '--jobs', '1', '--chunk', '4');
$primary->poll_query_until('postgres', "SELECT count(label) >= 40 FROM pkg")
  or die "llm-batch wrote no rows";
$s1->kill9;
my $at_kill = labelled();
ok($at_kill < $n_rows, "standby 1 was killed mid-run ($at_kill of $n_rows rows done)");
my $status = finish_batch($r);
note("llm-batch's stdout and stderr:\n$r->{out}$r->{err}");
is($status >> 8, 0, 'the run still completes: exit 0') or diag($r->{err});
like($r->{err}, qr/standby 1 \(host=\S+ port=\d+\)(?:: | dropped after its retries: ).*(?:server closed the connection|terminating connection|Connection refused|No such file)/,
	'the failure of standby 1 is reported, naming it');
$n = by_server($r->{out});
ok($n->{2} > 0, "standby 2 went on ($n->{2} rows)");
check_written_once('a standby killed mid-run');

# standby 1 back: its shared memory is free once the killed server's backends have gone
for (1 .. 60)
{
	last if $s1->start(fail_ok => 1);
	sleep 1;
}
catch_up();

# ---- one standby hangs mid-run (its processes stopped): the other takes its range over ----
sub server_pids
{
	my ($node) = @_;
	my $postmaster = $node->{_pid};
	my @pids = ($postmaster);

	opendir(my $proc, '/proc') or die;
	for my $pid (grep { /^\d+$/ } readdir $proc)
	{
		open(my $f, '<', "/proc/$pid/stat") or next;
		my $stat = <$f>;
		close $f;
		my ($ppid) = $stat =~ /^\d+ \(.*\) \S (\d+)/s;
		push @pids, $pid if defined $ppid && $ppid == $postmaster;
	}
	return @pids;
}

reset_labels();
$r = start_batch($primary_conn, @classify, @read_from, '--jobs', '1', '--chunk', '4');
$primary->poll_query_until('postgres', "SELECT count(label) >= 40 FROM pkg")
  or die "llm-batch wrote no rows";
my @hung = server_pids($s1);
kill 'STOP', @hung;
$status = finish_batch($r);
kill 'CONT', @hung;
note("llm-batch's stdout and stderr:\n$r->{out}$r->{err}");
is($status >> 8, 0, 'a standby that hangs mid-run: the run completes, exit 0') or diag($r->{err});
like($r->{err}, qr/standby 1 has been on keys .* for \d+ s: standby 2 \(host=\S+ port=\d+\) runs them too/,
	'the range of the hung standby is run by the other');
check_written_once('a standby that hangs');
catch_up();

# ---- SIGINT: the current chunks are written, then it stops; a rerun finishes ----
reset_labels();
$r = start_batch($primary_conn, @classify, @read_from, '--jobs', '1', '--chunk', '4');
$primary->poll_query_until('postgres', "SELECT count(label) >= 40 FROM pkg")
  or die "llm-batch wrote no rows";
$r->{h}->signal('INT');
$status = finish_batch($r);
is($status >> 8, 1, 'SIGINT: exit 1');
my ($reported) = $r->{out} =~ /interrupted: (\d+) of $n_rows rows done/;
ok(defined $reported && $reported < $n_rows, 'SIGINT: the summary says how many rows were done') or diag($r->{out});
is(labelled(), $reported, 'SIGINT: exactly the rows reported are written');
catch_up();
($rc, $out, $err) = run_batch($primary_conn, @classify, @read_from, '--jobs', '2', '--chunk', '8');
is($rc, 0, 'the rerun after SIGINT exits 0') or diag($err);
check_written_once('after SIGINT and a rerun');

# ---- a standby that cancels every chunk (statement_timeout): dropped after its retries ----
reset_labels();
($rc, $out, $err) = run_batch($primary_conn, @classify, '--read-from', $s1->connstr('postgres'),
	'--read-from', $s2->connstr('postgres') . " options='-c statement_timeout=1'", '--chunk', '8');
note("llm-batch's stdout and stderr:\n$out$err");
is($rc, 0, 'a standby whose every chunk is cancelled: the run completes, exit 0') or diag($err);
like($err, qr/standby 2 \(host=\S+ port=\d+\) dropped after its retries: ERROR:  canceling statement due to statement timeout \(SQLSTATE 57014\)/,
	'it is dropped after its retries, with the reason');
$n = by_server($out);
is($n->{2}, 0, 'it wrote nothing');
check_written_once('a standby that cancels every chunk');

# ---- the catalog on a standby whose model file is missing ----
unlink($s2->data_dir . '/models/stories.gguf') or die;
my ($ret, $stdout, $stderr) = $s2->psql('postgres', "SELECT llm_classify('x', ARRAY['a', 'b'], 'stories')");
like($stderr, qr{ERROR:  model file "/proc/self/cwd/models/stories\.gguf" of model "stories" cannot be read on this standby: No such file or directory\nDETAIL:  The primary registered it with SHA-256 $sha: every server that runs the model needs that file at that path\.\nHINT:  Copy the primary's file to this path on this host\.},
	'a missing model file on a standby: the path, the SHA-256 the primary registered, what to do');

# ---- llm-batch with that standby: reported, and finished on the other ----
reset_labels();
($rc, $out, $err) = run_batch($primary_conn, @classify, @read_from, '--jobs', '2', '--chunk', '8');
note("llm-batch's stdout and stderr:\n$out$err");
is($rc, 0, 'a standby without the model file: the run completes, exit 0') or diag($err);
like($err, qr{standby 2 \(host=\S+ port=\d+\) dropped: ERROR:  model file "/proc/self/cwd/models/stories\.gguf" of model "stories" cannot be read on this standby: No such file or directory \(SQLSTATE 58P01\); DETAIL: The primary registered it with SHA-256 $sha.*; its ranges go to the other servers},
	'the standby is dropped with the server\'s message: the path and the expected SHA-256');
$n = by_server($out);
is($n->{2}, 0, 'the standby without the file wrote nothing');
like($out, qr/standby 2 \([^)]*\) 0 \(dropped\)/, 'the summary marks it dropped');
check_written_once('a standby without the model file');

# ---- a standby whose file is not the primary's; no other standby ----
copy("$shared/parity/stories260K.Q8_0.gguf", $s2->data_dir . '/models/stories.gguf') or die;
($ret, $stdout, $stderr) = $s2->psql('postgres', "SELECT llm_classify('x', ARRAY['a', 'b'], 'stories')");
like($stderr, qr{ERROR:  model file "[^"]*standby2[^"]*/models/stories\.gguf" on this standby is not the file model "stories" was registered with on the primary\nDETAIL:  Its SHA-256 is [0-9a-f]{64}; the registered file's is $sha\.\nHINT:  Copy the primary's file to this path on this host},
	'a different model file on a standby: the host\'s path, both SHA-256s, what to do');
reset_labels();
($rc, $out, $err) = run_batch($primary_conn, @classify, '--read-from', $s2->connstr('postgres'), '--chunk', '8');
note("llm-batch's stdout and stderr:\n$out$err");
is($rc, 0, 'the only standby has another file: the primary does the job, exit 0') or diag($err);
like($err, qr{standby 1 \(host=\S+ port=\d+\) dropped: ERROR:  model file "[^"]*/models/stories\.gguf" on this standby is not the file model "stories" was registered with on the primary \(SQLSTATE XX001\).*no --read-from server is left: the primary does the rest},
	'the standby is dropped, and the primary does the rest');
$n = by_server($out);
is("$n->{1} $n->{primary}", "0 $n_rows", 'every row was done on the primary');
check_written_once('the only standby with another file');
copy($primary->data_dir . '/models/stories.gguf', $s2->data_dir . '/models/stories.gguf') or die;

# ---- summarize and generate over the standbys; text keys that need quoting ----
$primary->safe_psql('postgres', q~
CREATE TABLE "Gen Table" ("Key" text PRIMARY KEY, prompt varchar, summary text, answer text);
INSERT INTO "Gen Table" ("Key", prompt)
  SELECT k, body FROM unnest(ARRAY['a"b', 'c,d', 'e\f', '{g}', 'h i', 'NULL', '''q''', 'é', ' ', 'x}y{z'])
    WITH ORDINALITY AS u(k, n) JOIN pkg ON pkg.id = u.n;
INSERT INTO "Gen Table" ("Key", prompt) VALUES ('p99', 'Once upon a time'), ('q0', NULL);
~);
catch_up();
my @gen = ('--table', 'public.Gen Table', '--key', 'Key', '--input', 'prompt', '--model', 'stories',
	'--jobs', '2', '--chunk', '2', @read_from);
($rc, $out, $err) = run_batch($primary_conn, @gen, '--output', 'summary', '--task', 'summarize', '--max-words', '8');
is($rc, 0, 'summarize over the standbys: exit 0') or diag($err);
like($out, qr/done: 11 rows/, 'summarize: 11 rows');
$n = by_server($out);
is($n->{1} + $n->{2}, 11, 'summarize: the standbys did them all');
is($primary->safe_psql('postgres',
		q{SELECT count(*) FROM "Gen Table" WHERE prompt IS NOT NULL AND summary IS DISTINCT FROM llm_summarize(prompt, 'stories', 8)}),
	'0', 'summarize: what llm_summarize gives row by row on the primary, whatever the keys hold');
($rc, $out, $err) = run_batch($primary_conn, @gen, '--output', 'answer', '--task', 'generate', '--max-tokens', '12');
is($rc, 0, 'generate over the standbys: exit 0') or diag($err);
is($primary->safe_psql('postgres',
		q{SELECT count(*) FROM "Gen Table" WHERE prompt IS NOT NULL AND answer IS DISTINCT FROM llm_generate(prompt, 'stories', 12)}),
	'0', 'generate: what greedy llm_generate gives row by row on the primary');
is($primary->safe_psql('postgres', q{SELECT count(*) FROM "Gen Table" WHERE summary IS NULL OR answer IS NULL}), '1',
	'a row whose input is NULL is left alone');

# ---- an error about the data fails the run, as without --read-from ----
$primary->safe_psql('postgres', "INSERT INTO pkg (id, body) VALUES (5000, repeat('ball toy car ', 3000))");
catch_up();
($rc, $out, $err) = run_batch($primary_conn, @classify, @read_from, '--chunk', '8');
note("llm-batch's stdout and stderr:\n$out$err");
is($rc, 1, 'an input too long for the context: exit 1');
like($err, qr/standby \d \(host=\S+ port=\d+\) \(keys: [^)]*\) failed: ERROR:  .*\(SQLSTATE 54000\)/,
	'the failure names the standby, the keys and the server\'s error');
unlike($err, qr/dropped/, 'no standby was dropped for it');
is($primary->safe_psql('postgres', "SELECT label IS NULL FROM pkg WHERE id = 5000"), 't',
	'the row is left NULL');

$_->stop for @standbys;
$primary->stop;
done_testing();
