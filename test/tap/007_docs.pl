# Every SQL example of the documentation, run as written and in order
# (docs/sql.md, docs/pool.md, then the README's), on a server set up as the
# docs describe: shared_preload_libraries = 'llm' and llm.model_path holding
# files of the names the examples use.  Each block must run without error.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $shared = $ENV{LLM_SHARED} or die "LLM_SHARED must name ../shared";
my $docs = $ENV{LLM_DOCS} or die "LLM_DOCS must name a copy of README.md and docs/";
my $models = PostgreSQL::Test::Utils::tempdir;

# the files the examples name, played by small models of the same families
symlink("$shared/models/stories260K.gguf", "$models/SmolLM2-135M-Instruct-Q8_0.gguf") or die;
symlink("$shared/parity/syn-qwen2.Q8_0.gguf", "$models/Qwen2.5-0.5B-Instruct-Q4_K_M.gguf") or die;

my $node = PostgreSQL::Test::Cluster->new('docs');
$node->init;
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'llm'\nllm.model_path = '$models'\nmax_worker_processes = 16\n");
$node->start;

# ```sql blocks of a Markdown file, with the line each starts on
sub sql_blocks
{
	my ($file) = @_;
	my (@blocks, $block, $start);
	open(my $fh, '<', $file) or die "$file: $!";
	while (my $line = <$fh>)
	{
		if (!defined $block && $line =~ /^```sql\s*$/)
		{
			$block = '';
			$start = $.;
		}
		elsif (defined $block && $line =~ /^```\s*$/)
		{
			push @blocks, [ $start, $block ];
			undef $block;
		}
		elsif (defined $block)
		{
			$block .= $line;
		}
	}
	close $fh;
	return @blocks;
}

# one psql session, as a reader pasting the blocks into it one after the
# other: what a block sets (llm.default_model) holds for the next ones
my $session = $node->background_psql('postgres', on_error_stop => 0);
my $n = 0;
for my $file ('docs/sql.md', 'docs/pool.md', 'README.md')
{
	for my $b (sql_blocks("$docs/$file"))
	{
		my ($line, $sql) = @$b;
		$session->{stderr} = '';
		my $out = $session->query($sql);
		my $err = $session->{stderr};
		unlike($err, qr/ERROR/, "$file:$line runs as written") or diag("$sql\n$err");
		$n++;
	}
}
$session->quit;
ok($n >= 18, "$n examples ran");

# what the examples did is there
is($node->safe_psql('postgres', "SELECT count(*) FROM reviews WHERE label IN ('positive', 'negative', 'neutral')"),
	'2', 'every review got one of the labels');
is($node->safe_psql('postgres', "SELECT string_agg(name, ',' ORDER BY name) FROM llm_models"),
	'qwen,qwen-long,smol', 'the models the examples register, each once');

done_testing();
