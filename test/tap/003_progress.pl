# llm_progress watched from a second session while a statement runs, and
# llm_process cancelled in the middle and run again: every row labelled
# once, with the labels a clean run gives.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use File::Copy;
use Test::More;

my $cli = $ENV{LLM_CLI} or die "LLM_CLI must name bin/llm-cli";
my $dir = PostgreSQL::Test::Utils::tempdir;
system($cli, 'synth', '--shape', 'smollm2-135m', '--type', 'q8_0', '--out', "$dir/smol.gguf") == 0
  or die "synth failed";

my $node = PostgreSQL::Test::Cluster->new('progress');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'llm'
llm.context_size = 512
});
$node->start;
$node->safe_psql('postgres', qq{
CREATE EXTENSION llm;
INSERT INTO llm_models (name, path) VALUES ('smol', '$dir/smol.gguf');
CREATE TABLE docs (id int PRIMARY KEY, body text, label text, writes int NOT NULL DEFAULT 0);
INSERT INTO docs (id, body)
SELECT g, 'Document number ' || g || ' is about ' || (ARRAY['databases', 'cats', 'rain', 'music'])[1 + g % 4] || ' and other things.'
FROM generate_series(1, 48) g;
-- each write of a label is counted: a row labelled twice would show
CREATE FUNCTION count_writes() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
	IF NEW.label IS DISTINCT FROM OLD.label AND NEW.label IS NOT NULL THEN
		NEW.writes := OLD.writes + 1;
	END IF;
	RETURN NEW;
END \$\$;
CREATE TRIGGER count_writes BEFORE UPDATE ON docs FOR EACH ROW EXECUTE FUNCTION count_writes();
});
my $labels = "ARRAY['databases', 'animals', 'weather', 'music']";
my $clean = $node->safe_psql('postgres',
	"SELECT string_agg(id || '=' || llm_classify(body, $labels, 'smol'), ',' ORDER BY id) FROM docs");

# ---- llm_progress while a long statement runs ----
my $s = $node->background_psql('postgres');
my $pid = $s->query_safe('SELECT pg_backend_pid()');
$s->query_until(qr/started/, "\\echo started\nSELECT count(llm_generate(body, 'smol', max_tokens => 30)) FROM docs;\n\\echo finished\n");
ok($node->poll_query_until('postgres', "SELECT rows_done >= 2 FROM llm_progress WHERE pid = $pid"),
	'llm_progress shows the running statement from another session');
my ($rows1, $gen1) = split /\|/, $node->safe_psql('postgres',
	"SELECT rows_done, generated_tokens FROM llm_progress WHERE pid = $pid");
ok($node->poll_query_until('postgres', "SELECT rows_done > $rows1 FROM llm_progress WHERE pid = $pid"),
	'its rows go up while it runs');
is($node->safe_psql('postgres',
		"SELECT model = 'smol' AND generated_tokens > 0 AND prompt_tokens > 0 AND tokens_per_second > 0 AND query LIKE '%llm_generate%' FROM llm_progress WHERE pid = $pid"),
	't', 'with its model, tokens, speed and query');
$s->query_until(qr/finished/, '');
is($node->safe_psql('postgres', "SELECT count(*) FROM llm_progress WHERE pid = $pid"), '0',
	'a finished statement leaves the view');
$s->quit;

# ---- llm_process cancelled mid-run, then resumed ----
my $call = "CALL llm_process('docs', 'id', 'body', 'label', labels => $labels, model => 'smol', batch => 4)";
$s = $node->background_psql('postgres', on_error_stop => 0);
$pid = $s->query_safe('SELECT pg_backend_pid()');
$s->query_until(qr/started/, "\\echo started\n$call;\n\\echo finished\n");
ok($node->poll_query_until('postgres', "SELECT count(*) >= 8 FROM docs WHERE label IS NOT NULL"),
	'llm_process commits batch after batch');
ok($node->poll_query_until('postgres', "SELECT rows_done >= 8 FROM llm_progress WHERE pid = $pid"),
	'llm_progress counts the rows of the whole CALL across its commits');
$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
$s->query_until(qr/finished/, '');
like($s->{stderr}, qr/canceling statement due to user request/, 'llm_process is cancelled');
$s->quit;
my $partial = $node->safe_psql('postgres', "SELECT count(*) FROM docs WHERE label IS NOT NULL");
ok($partial >= 8 && $partial < 48, "the cancelled run kept its committed batches ($partial of 48 rows)");
$node->safe_psql('postgres', $call);
is($node->safe_psql('postgres', "SELECT count(*) FROM docs WHERE label IS NULL"), '0', 'the rerun finishes the table');
is($node->safe_psql('postgres', "SELECT max(writes) FROM docs"), '1', 'every row was labelled exactly once');
is($node->safe_psql('postgres', "SELECT string_agg(id || '=' || label, ',' ORDER BY id) FROM docs"),
	$clean, 'the labels are those of the one-row function');

$node->stop;
done_testing();
