# A hot standby serves models too: the pool preloads there at start, calls
# work, and llm_process refuses to write.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use File::Copy;
use Test::More;

my $shared = $ENV{LLM_SHARED} or die "LLM_SHARED must name ../shared";
my $dir = PostgreSQL::Test::Utils::tempdir;
copy("$shared/models/stories260K.gguf", "$dir/stories.gguf") or die;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'llm'
llm.preload_models = 'postgres:stories'
});
$primary->start;
$primary->safe_psql('postgres', qq{
CREATE EXTENSION llm;
INSERT INTO llm_models (name, path) VALUES ('stories', '$dir/stories.gguf');
CREATE TABLE docs (id int PRIMARY KEY, body text, label text);
INSERT INTO docs VALUES (1, 'Lily was happy.', NULL);
});
my $expect = $primary->safe_psql('postgres',
	"SELECT llm_generate('Once upon a time', 'stories', max_tokens => 16)");
$primary->backup('base');

my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby);

ok($standby->poll_query_until('postgres',
		"SELECT state = 'loaded' FROM llm_model_status WHERE name = 'stories'"),
	'llm.preload_models loads the model on the hot standby');
is($standby->safe_psql('postgres', "SELECT pg_is_in_recovery()"), 't', 'it is a standby');
is($standby->safe_psql('postgres', "SELECT llm_generate('Once upon a time', 'stories', max_tokens => 16)"),
	$expect, 'the standby gives the primary\'s answer');
my ($ret, $out, $err) = $standby->psql('postgres',
	"CALL llm_process('docs', 'id', 'body', 'label', labels => ARRAY['a', 'b'], model => 'stories')");
like($err, qr/ERROR:  llm_process cannot run on a standby: it writes its results\nHINT:  Run it on the primary, or run llm-batch against the primary with --read-from naming this standby/,
	'llm_process refuses on a standby, pointing to llm-batch --read-from');

$standby->stop;
$primary->stop;
done_testing();
