#!/bin/sh
# bench/run.sh: time pooltrend end to end against `cat FILES | wc -l` and a
# plain awk first-versus-last script on ptgen corpora, several runs each.
#
#   bench/run.sh [-b BUILD] [-r RUNS] [-d DIR] [-j N] [-c COMMANDS] [SIZE...]
#
# SIZE is FILESxTAGS with optional suffixes: ":x86" for the x86 layout,
# ":append" for one appended file instead of one file per snapshot
# (e.g. 1000x2000, 100x2000:append, 10x200:x86).  Default: 10x2000
# 100x2000 1000x2000 1000x2000:append.  --quick is 10x200 100x2000.
# --big is the memory target of issue 7: one appended file of 20,000
# snapshots x 5,000 tags (12.5 GB: check df -h on DIR first; delete it
# after), 1 run each of load and pooltrend (about 7 minutes of CPU).
#
# Corpora are generated once into DIR (default /tmp/pooltrend-bench, seed 1,
# -r summaries, ISO stamps) and reused.  Every command runs RUNS times
# (default 5) under /usr/bin/time; the table shows medians.  Columns:
#   wall     median elapsed seconds
#   cpu      median user+sys seconds (robust on a busy machine)
#   MB/s     input megabytes (10^6) per wall second
#   Mrows/s  poolmon rows per wall second, in millions
#   RSS      median peak resident set, MB
#   x cat    wall time over that of `cat FILES | wc -l`
# Commands: cat (cat | wc -l), awk (first-versus-last per tag, the plain
# script a person would write), pooltrend -jN and -j1 (-q -f json to
# /dev/null: parse, align, score, report), load -jN and load -j1 (ptbench
# --no-score: read, parse, date and align only), score -j1 (ptbench's
# single-thread pt_score_all time, taken from its own clock).  -c picks
# commands from: cat awk pooltrend pooltrend1 load load1 score (default
# all; scaling runs use -c "cat load load1").
set -eu

build=build
runs=5
dir=/tmp/pooltrend-bench
threads=0
commands="cat awk pooltrend pooltrend1 load load1 score"
sizes=""
while [ $# -gt 0 ]; do
	case $1 in
	-b) build=$2; shift 2 ;;
	-r) runs=$2; shift 2 ;;
	-d) dir=$2; shift 2 ;;
	-j) threads=$2; shift 2 ;;
	-c) commands=$2; shift 2 ;;
	--quick) sizes="$sizes 10x200 100x2000"; shift ;;
	--big) sizes="$sizes 20000x5000:append"; runs=1
		commands="load pooltrend"; shift ;;
	-h|--help) sed -n '2,33p' "$0"; exit 0 ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) sizes="$sizes $1"; shift ;;
	esac
done
[ -n "$sizes" ] || sizes="10x2000 100x2000 1000x2000 1000x2000:append"
pooltrend=$build/src/pooltrend
ptgen=$build/bench/ptgen
ptbench=$build/bench/ptbench
for p in "$pooltrend" "$ptgen" "$ptbench"; do
	[ -x "$p" ] || { echo "run.sh: $p not built (ninja -C $build)" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "run.sh: needs /usr/bin/time" >&2; exit 2; }
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat > "$tmp/first_last.awk" <<'AWK'
# first and last Bytes of every tag row; print the ones that grew
$2 == "Nonp" || $2 == "Paged" {
	k = $1 " " $2
	if (!(k in first)) first[k] = $6
	last[k] = $6
}
END { for (k in first) if (last[k] > first[k]) print k, first[k], last[k] }
AWK

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# time_cmd LABEL SHELL-COMMAND: runs it $runs times, prints the medians
time_cmd() {
	: > "$tmp/w"; : > "$tmp/c"; : > "$tmp/m"
	i=0
	while [ $i -lt "$runs" ]; do
		/usr/bin/time -f '%e %U %S %M' -o "$tmp/t" sh -c "$2" > /dev/null
		read -r e u s m < "$tmp/t"
		echo "$e" >> "$tmp/w"
		echo "$u $s" | awk '{ print $1 + $2 }' >> "$tmp/c"
		echo "$m" >> "$tmp/m"
		i=$((i + 1))
	done
	echo "$(median < "$tmp/w") $(median < "$tmp/c") $(median < "$tmp/m")"
}

jn=$threads
[ "$jn" -ne 0 ] || jn=$(getconf _NPROCESSORS_ONLN)
echo "# pooltrend benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(uname -m), $(getconf _NPROCESSORS_ONLN) CPUs, $runs runs each, medians"
echo
echo "| corpus | MB | rows | command | wall s | cpu s | MB/s | Mrows/s | RSS MB | x cat |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for size in $sizes; do
	spec=${size%%:*}
	files=${spec%x*}
	tags=${spec#*x}
	layout=x64
	append=no
	case $size in *:x86*) layout=x86 ;; esac
	case $size in *:append*) append=yes ;; esac
	name="$files-$tags-$layout-$append"
	if [ ! -e "$dir/$name.done" ]; then
		rm -rf "${dir:?}/$name"
		if [ $append = yes ]; then
			mkdir -p "$dir/$name"
			"$ptgen" --append "$dir/$name/poolsnap.log" --files "$files" \
				--tags "$tags" --seed 1 --summary --stamp iso \
				--layout "$layout" > /dev/null
		else
			"$ptgen" --out "$dir/$name" --files "$files" --tags "$tags" \
				--seed 1 --summary --stamp iso --layout "$layout" > /dev/null
		fi
		touch "$dir/$name.done"
	fi
	in="$dir/$name"
	bytes=$(cat "$in"/* | wc -c)
	mb=$(echo "$bytes" | awk '{ printf "%.1f", $1 / 1e6 }')
	score=--no-score
	case " $commands " in *" score "*) score= ;; esac
	"$ptbench" -j "$jn" $score "$in" > "$tmp/pb"
	rows=$(sed 's/.*rows=\([0-9]*\).*/\1/' "$tmp/pb")
	score1=$(sed 's/.*score1_s=\([0-9.]*\).*/\1/' "$tmp/pb")
	cat_wall=""
	for c in $commands; do
		case $c in
		pooltrend) cmd="pooltrend -j$jn" ;;
		pooltrend1) cmd="pooltrend -j1" ;;
		load) cmd="load -j$jn" ;;
		load1) cmd="load -j1" ;;
		score) continue ;;
		*) cmd=$c ;;
		esac
		case $cmd in
		cat) line="cat '$in'/* | wc -l" ;;
		awk) line="awk -f '$tmp/first_last.awk' '$in'/*" ;;
		"pooltrend -j"*) line="'$pooltrend' -j ${cmd#pooltrend -j} -q -f json '$in'" ;;
		"load -j"*) line="'$ptbench' -j ${cmd#load -j} --no-score '$in'" ;;
		esac
		set -- $(time_cmd "$cmd" "$line")
		[ -n "$cat_wall" ] || cat_wall=$1
		awk -v size="$size" -v mb="$mb" -v rows="$rows" -v cmd="$cmd" \
			-v wall="$1" -v cpu="$2" -v rss="$3" -v b="$bytes" -v cw="$cat_wall" \
			'BEGIN { mbs = 0; rps = 0; x = 0
				if (wall > 0) { mbs = b / 1e6 / wall; rps = rows / 1e6 / wall }
				x = "-"
				if (cw > 0) x = sprintf("%.1f", wall / cw)
				printf "| %s | %s | %s | %s | %.2f | %.2f | %.0f | %.2f | %.0f | %s |\n", size, mb, rows, cmd, wall, cpu, mbs, rps, rss / 1024, x }'
	done
	[ -n "$score" ] ||
		echo "| $size | $mb | $rows | score -j1 (ptbench, 1 run) | $score1 | | | | | |"
done
