# Hostile JSON to llm_chat: its messages are parsed from jsonb inside the
# server (src/llm_chat.c), which the engine's fuzzers cannot reach (they
# fuzz the engine's own JSON reader, test/fuzz/).  Deep nesting, huge
# arrays, wrong types, NUL and broken escapes, a role of a megabyte: each
# must end in a clean ERROR that says what is wrong, soon, with a message of
# bounded length, and leave the backend and the server running.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use File::Copy;
use Test::More;
use Time::HiRes qw(time);

my $shared = $ENV{LLM_SHARED} or die "LLM_SHARED must name ../shared";
my $dir = PostgreSQL::Test::Utils::tempdir;
copy("$shared/models/stories260K.gguf", "$dir/stories.gguf") or die;

my $node = PostgreSQL::Test::Cluster->new('chat_json');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = ''\n");
$node->start;
$node->safe_psql('postgres', qq{
CREATE EXTENSION llm;
INSERT INTO llm_models (name, path) VALUES ('stories', '$dir/stories.gguf');
});

my $ok = "SELECT llm_chat('[{\"role\": \"user\", \"content\": \"Hi\"}]', 'stories', max_tokens => 2, temperature => 0)";
my $expect = $node->safe_psql('postgres', $ok);

# [name, the messages as an SQL expression, the error it must give]
my @cases = (
	# nesting: of the list, of a message, of a content
	['100000 nested arrays', q{('[' || repeat('[', 100000) || repeat(']', 100000) || ']')::jsonb},
		qr/stack depth limit exceeded/],
	['a message 5000 arrays deep', q{('[' || repeat('[', 5000) || repeat(']', 5000) || ']')::jsonb},
		qr/message 1 is not a JSON object/],
	['a content 5000 objects deep',
		q{('[{"role": "user", "content": ' || repeat('{"a":', 5000) || '1' || repeat('}', 5000) || '}]')::jsonb},
		qr/message 1: "content" must be a string/],
	# size: a million messages, a million non-messages
	['a million messages',
		q{(SELECT jsonb_agg(jsonb_build_object('role', CASE WHEN g % 2 = 1 THEN 'user' ELSE 'assistant' END, 'content', 'Hi')) FROM generate_series(1, 1000001) g)},
		qr/input of at least \d+ tokens does not fit in the context of 2048 tokens of model "stories"/],
	['a million numbers', q{(SELECT jsonb_agg(g) FROM generate_series(1, 1000000) g)},
		qr/message 1 is not a JSON object/],
	# types
	['an object', q{'{"role": "user", "content": "x"}'},
		qr/messages must be a JSON array of \{"role": ..., "content": ...\} objects/],
	['a string', q{'"x"'}, qr/messages must be a JSON array/],
	['a number', q{'5'}, qr/messages must be a JSON array/],
	['JSON null', q{'null'}, qr/messages must be a JSON array/],
	['an empty array', q{'[]'}, qr/messages must not be empty/],
	['an array of null', q{'[null]'}, qr/message 1 is not a JSON object/],
	['an array of strings', q{'["user", "Hi"]'}, qr/message 1 is not a JSON object/],
	['a second message of the wrong type', q{'[{"role": "user", "content": "x"}, 7]'},
		qr/message 2 is not a JSON object/],
	['a numeric role', q{'[{"role": 1, "content": "x"}]'}, qr/message 1: "role" must be a string/],
	['a null content', q{'[{"role": "user", "content": null}]'}, qr/message 1: "content" must be a string/],
	['an object content', q{'[{"role": "user", "content": {"text": "x"}}]'},
		qr/message 1: "content" must be a string/],
	['an array content', q{'[{"role": "user", "content": ["x"]}]'}, qr/message 1: "content" must be a string/],
	['a boolean content', q{'[{"role": "user", "content": true}]'}, qr/message 1: "content" must be a string/],
	['no content', q{'[{"role": "user"}]'}, qr/message 1 needs both "role" and "content"/],
	['no role', q{'[{"content": "x"}]'}, qr/message 1 needs both "role" and "content"/],
	['an empty message', q{'[{}]'}, qr/message 1 needs both "role" and "content"/],
	['a duplicate key (jsonb keeps the last)', q{'[{"role": "user", "content": "x", "role": "wizard"}]'},
		qr/message 1 has role "wizard"/],
	# escapes jsonb cannot hold
	['a NUL in the content', q{'[{"role": "user", "content": "a\u0000b"}]'},
		qr/unsupported Unicode escape sequence/],
	['a NUL in the role', q{'[{"role": "user\u0000", "content": "x"}]'},
		qr/unsupported Unicode escape sequence/],
	['a lone surrogate', q{'[{"role": "user", "content": "\ud800"}]'},
		qr/invalid input syntax for type json/],
	# a role of a megabyte is named by its first 64 bytes
	['a role of a megabyte',
		q{jsonb_build_array(jsonb_build_object('role', repeat('x', 1000000), 'content', 'Hi'))},
		qr/message 1 has role "x{64}\.\.\."/],
	['a long role of multibyte characters',
		q{jsonb_build_array(jsonb_build_object('role', repeat('é', 100), 'content', 'Hi'))},
		qr/message 1 has role "(é){32}\.\.\."/],
);

for my $c (@cases)
{
	my ($name, $messages, $want) = @$c;
	my $start = time;
	my ($ret, $out, $err) = $node->psql('postgres', "SELECT llm_chat($messages, 'stories', max_tokens => 2)");
	my $took = time - $start;
	isnt($ret, 0, "$name: an error");
	like($err, $want, "$name: says what is wrong");
	# the statement itself may be long; the message may not
	my ($msg) = $err =~ /ERROR:\s+([^\n]*)/;
	ok(defined $msg && length($msg) < 300, "$name: a short message (" . length($msg // '') . " bytes)");
	cmp_ok($took, '<', 30, "$name: within 30 s (" . sprintf('%.2f', $took) . " s)");
}

# control characters and astral planes are content like any other
is($node->safe_psql('postgres',
	q{SELECT llm_chat('[{"role": "user", "content": "\u00e9\ud83d\ude00 \u0001\u001f"}]', 'stories', max_tokens => 2) IS NOT NULL}),
	't', 'escaped control characters and a surrogate pair are accepted');

is($node->safe_psql('postgres', $ok), $expect, 'the server answers as before');
ok(!$node->log_contains(qr/terminated by signal|server process .* was terminated/), 'no backend died');

$node->stop;
done_testing();
