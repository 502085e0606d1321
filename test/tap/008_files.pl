# Model files an attacker controls the directory of.  A user who is not a
# superuser (a member of pg_read_server_files) registers files inside
# llm.model_path only, even while a directory or link on the path is being
# swapped back and forth between inside and outside; and with the shared
# pool, a registration whose link is later pointed at a FIFO, a folder or
# an empty file is refused at the call without hanging or crashing.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use File::Copy;
use IPC::Run;
use Test::More;

my $shared = $ENV{LLM_SHARED} or die "LLM_SHARED must name ../shared";
my $dir = PostgreSQL::Test::Utils::tempdir;
mkdir "$dir/models" or die;
mkdir "$dir/private" or die;
mkdir "$dir/models/race" or die;
mkdir "$dir/models/race/inside" or die;
copy("$shared/models/stories260K.gguf", "$dir/models/race/inside/m.gguf") or die;
copy("$shared/parity/stories260K.Q8_0.gguf", "$dir/private/m.gguf") or die;

my $node = PostgreSQL::Test::Cluster->new('files');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'llm'\nllm.model_path = '$dir/models'\n");
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION llm;
CREATE ROLE registrar LOGIN IN ROLE pg_read_server_files;
GRANT INSERT, UPDATE, DELETE, SELECT ON llm_models TO registrar;
});
my $secret_sha = $node->safe_psql('postgres',
	"SELECT encode(sha256(pg_read_binary_file('$dir/private/m.gguf')), 'hex')");

# race/d and race/x trade places (renameat2 RENAME_EXCHANGE, from python's
# ctypes) as fast as they can: race/d is now a real folder inside
# llm.model_path, now a link to the private folder outside it, so a path
# checked once and opened again later by name would read the private file
mkdir "$dir/models/race/d" or die;
copy("$dir/models/race/inside/m.gguf", "$dir/models/race/d/m.gguf") or die;
symlink("$dir/private", "$dir/models/race/x") or die;
my $flip = q{
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
a, b = (os.fsencode(p) for p in sys.argv[1:3])
end = time.time() + float(sys.argv[3])
while time.time() < end:
    libc.renameat2(-100, a, -100, b, 2)
};
my $flipper = IPC::Run::start([ 'python3', '-c', $flip, "$dir/models/race/d", "$dir/models/race/x", '12' ]);
my ($ret, $out, $err) = $node->psql('postgres', q{
DO $$
BEGIN
	FOR i IN 1..600 LOOP
		BEGIN
			INSERT INTO llm_models (name, path) VALUES ('race' || i, 'race/d/m.gguf');
		EXCEPTION WHEN OTHERS THEN
			NULL;
		END;
	END LOOP;
END
$$;
SELECT count(*) FROM llm_models;
}, extra_params => [ '-U', 'registrar' ]);
$flipper->finish;
note("registrations made while the path flipped: $out");
note($node->safe_psql('postgres', "SELECT sha256, count(*) FROM llm_models GROUP BY 1"));
note("secret: $secret_sha");
is($node->safe_psql('postgres', "SELECT count(*) FROM llm_models WHERE sha256 = '$secret_sha'"),
	'0', 'no registration by a non-superuser holds the file outside llm.model_path');
$node->safe_psql('postgres', "DELETE FROM llm_models");

# a registered link later pointed at things that are not model files
symlink("race/inside/m.gguf", "$dir/models/current.gguf") or die;
$node->safe_psql('postgres', "INSERT INTO llm_models (name, path) VALUES ('cur', 'current.gguf')");
is($node->safe_psql('postgres', "SELECT length(llm_generate('Once', 'cur', max_tokens => 2)) > 0"), 't',
	'the registered link works');
$node->safe_psql('postgres', "SELECT llm_unload('cur')");
system("mkfifo", "$dir/models/fifo") == 0 or die;
for my $case ([ 'fifo', 'a FIFO', qr/is not a regular file/ ], [ 'race', 'a folder', qr/is not a regular file/ ],
	[ 'empty.gguf', 'an empty file', qr/has changed since model "cur" was registered/ ])
{
	my ($target, $what, $expect) = @$case;
	open(my $fh, '>', "$dir/models/empty.gguf") or die;
	close $fh;
	unlink("$dir/models/current.gguf");
	symlink($target, "$dir/models/current.gguf") or die;
	my ($r, $o, $e) = $node->psql('postgres', "SET statement_timeout = '20s'; SELECT llm_generate('Once', 'cur', max_tokens => 2)");
	like($e, $expect, "pool on: a link to $what is refused at the call");
}
is($node->safe_psql('postgres', "SELECT 1"), '1', 'and the server is still up');

done_testing();
