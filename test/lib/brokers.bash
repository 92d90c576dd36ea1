# Shell helpers for the tests of `ringbuf ship` (sourced): brokers started
# on free loopback ports in the test's own temp dir, every process they
# start remembered and stopped by brokers_cleanup (call it from the test's
# EXIT trap). Needs $R (the tool) and $tmp (a private temp dir).

broker_pids=()

# A free TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Skip (exit 77) unless the tool was built with this sink and the server
# is installed; skip the heavy broker tests in sanitizer builds.
need_sink() { # scheme
	case $R in *asan*|*tsan*)
		echo "skip: broker tests run in the plain build only (too slow under sanitizers; the hold/release library tests run there)"
		exit 77;;
	esac
	if "$R" ship x --to "$1://127.0.0.1:1/x" --stream x 2>&1 | grep -q "not available in this build"; then
		echo "skip: $R built without the $1 client library"
		exit 77
	fi
}

# Wait until a command succeeds, up to $1 seconds.
wait_for() { # seconds cmd...
	local end=$(( $(date +%s) + $1 )); shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# start_nats_cluster N: N nats-servers with JetStream in one cluster (one
# plain server for N = 1);
# sets nats_client[i] (host:port), nats_pid[i], nats_urls (comma list).
start_nats_cluster() {
	local n=$1 i routes=""
	nats_cport=() nats_client=() nats_pid=()
	for ((i = 0; i < n; i++)); do
		nats_client[i]=127.0.0.1:$(free_port)
		nats_cport[i]=$(free_port)
		routes+="${routes:+,}nats-route://127.0.0.1:${nats_cport[i]}"
	done
	nats_urls=$(IFS=,; echo "${nats_client[*]}")
	for ((i = 0; i < n; i++)); do
		mkdir -p "$tmp/nats$i"
		cat >"$tmp/nats$i/conf" <<-CONF
		server_name: n$i
		listen: ${nats_client[i]}
		jetstream { store_dir: "$tmp/nats$i/js" }
		CONF
		[ "$n" -gt 1 ] && echo "cluster { name: rbtest, listen: 127.0.0.1:${nats_cport[i]}, routes: [${routes}] }" >>"$tmp/nats$i/conf"

		nats_start_node "$i"
	done
}

nats_start_node() { # i
	nats-server -c "$tmp/nats$1/conf" >>"$tmp/nats$1/log" 2>&1 &
	nats_pid[$1]=$!
	broker_pids+=($!)
}

nats_kill_node() { # i
	kill -9 "${nats_pid[$1]}" 2>/dev/null
	wait "${nats_pid[$1]}" 2>/dev/null
}

brokers_cleanup() {
	local p
	for p in "${broker_pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	for p in "${broker_pids[@]}"; do wait "$p" 2>/dev/null; done
}

# paced_producer RING N SECONDS: write 'record 000001'..'record N' into RING
# spread over about SECONDS (100 batches), waiting when the ring is full,
# so that shipper kills and broker failures fall on records in flight.
paced_producer() {
	local ring=$1 n=$2 secs=$3 b per=$(( ($2 + 99) / 100 ))
	for ((b = 0; b < 100; b++)); do
		local lo=$((b * per + 1)) hi=$(((b + 1) * per))
		[ $hi -gt "$n" ] && hi=$n
		[ $lo -gt "$n" ] && break
		seq -f 'record %06g' $lo $hi | "$R" write --wait "$ring" || return 1
		sleep "$(awk -v s="$secs" 'BEGIN { printf "%.3f", s / 100 }')"
	done
}
