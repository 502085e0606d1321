# Shared steps of scripts/demo.sh and scripts/test.sh: install what the
# build needs on Debian 12, build, and run a throw-away PostgreSQL cluster.
# Sourced, not executed.

PG_MAJOR=15
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
PG_PORT=${LLM_PG_PORT:-54329}
PG_SOCK=${LLM_PG_SOCK:-/tmp/llm-pg-sock}
PG_DATA=${LLM_PG_DATA:-/tmp/llm-pg-data}

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

install_deps() {
	local pkgs="build-essential python3 postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR libpq-dev libipc-run-perl $*"
	# skip apt when everything is already there (repeated local runs)
	if dpkg-query -W -f='${Status}\n' $pkgs 2>/dev/null | grep -qv 'install ok installed' ||
		[ "$(dpkg-query -W -f='${Status}\n' $pkgs 2>/dev/null | wc -l)" -ne "$(echo $pkgs | wc -w)" ]; then
		echo "== installing packages: $pkgs"
		as_root apt-get update -qq
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >/dev/null
	fi
}

build() {
	echo "== building"
	make -s -j2 all
	as_root make -s install
}

# The server refuses to run as root, so the cluster belongs to "postgres"
# (created by the Debian package) when we are root.
pg_run() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_cluster() {
	stop_cluster
	echo "== starting a temporary PostgreSQL $PG_MAJOR cluster on port $PG_PORT"
	as_root rm -rf "$PG_DATA" "$PG_SOCK"
	as_root mkdir -p "$PG_DATA" "$PG_SOCK"
	if [ "$(id -u)" = 0 ]; then chown postgres "$PG_DATA" "$PG_SOCK"; fi
	pg_run "$PG_BIN/initdb" -D "$PG_DATA" --auth=trust -U postgres --encoding=UTF8 --locale=C.UTF-8 >/dev/null
	pg_run "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w \
		-o "-p $PG_PORT -k $PG_SOCK -c listen_addresses=''" start >/dev/null
	export PGHOST=$PG_SOCK PGPORT=$PG_PORT PGUSER=postgres
	trap remove_cluster EXIT
}

stop_cluster() {
	if [ -f "$PG_DATA/postmaster.pid" ]; then
		pg_run "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
	fi
}

# A temporary cluster goes when the script ends, with its socket folder.
remove_cluster() {
	stop_cluster
	as_root rm -rf "$PG_DATA" "$PG_SOCK"
}

# The benchmark models, written once by llm-cli synth (random weights, real
# shapes) into $LLM_BENCH_DIR: $bench_dir/smol-q8_0.gguf (SmolLM2-135M) and
# $bench_dir/qwen-q4_k_m.gguf (Qwen2.5-0.5B), readable by the server.
bench_models() {
	bench_dir=${LLM_BENCH_DIR:-/tmp/llm-bench}
	mkdir -p "$bench_dir"
	chmod 755 "$bench_dir"
	# (files of an older synth, whose vocabulary spelled the ChatML markers
	# out, are written again)
	synth_current "$bench_dir/smol-q8_0.gguf" ||
		bin/llm-cli synth --shape smollm2-135m --type q8_0 --out "$bench_dir/smol-q8_0.gguf" >/dev/null
	synth_current "$bench_dir/qwen-q4_k_m.gguf" ||
		bin/llm-cli synth --shape qwen2.5-0.5b --type q4_k_m --out "$bench_dir/qwen-q4_k_m.gguf" >/dev/null
	chmod 644 "$bench_dir"/*.gguf
}

# Whether FILE exists and was written by this llm-cli synth: "<|im_end|>"
# is one token.
synth_current() {
	[ -f "$1" ] && [ "$(bin/llm-cli tokenize "$1" '<|im_end|>' --special --no-bos 2>/dev/null | wc -w)" = 1 ]
}

# The median of the numbers on standard input, one a line.
median() {
	sort -g | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : "nan") }'
}
