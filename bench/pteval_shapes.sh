#!/bin/sh
# pteval must take its shapes from the truth file, whatever they are: a
# leak is any shape named leak-*, and the ambiguous column puts a series
# in the ambiguous class, out of every well-posed metric.
#
#   pteval_shapes.sh PTEVAL PTGEN
#
# A wrapper around ptgen rewrites the truth file the way a newer
# generator could write it: late leaks become stopped leaks (leak-stopped,
# is_leak 1, ambiguous 1), level shifts are called "steps", and noisy
# tags get one of N names each (noisy-0 ...), so the count of shapes is
# past the 16 pteval used to hold.  ptgen runs with --shapes basic, whose
# 11 shapes include neither "steps" nor "leak-stopped", so those rows can
# only come from the rewritten truth.  With N = 20 (30 shapes) the new
# shapes must show in the right tables; with N = 40 pteval must refuse the
# truth file (50 shapes) with a message instead of writing past its
# table, and a shape name too long for it as well.
set -u
pteval=$1
ptgen=$2
work=$(mktemp -d) || exit 99
trap 'rm -rf "$work"' EXIT
trap 'exit 99' INT TERM

# The wrapper: ptgen's arguments go through; NOISY_NAMES sets N, and
# LONG_SHAPE, when set, renames the flat tags.
cat >"$work/ptgen" <<EOF || exit 99
#!/bin/sh
truth=
prev=
for a in "\$@"; do
	[ "\$prev" = --truth ] && truth=\$a
	prev=\$a
done
"$ptgen" "\$@" || exit 1
awk -F '\t' -v OFS='\t' -v n="\$NOISY_NAMES" -v long="\${LONG_SHAPE:-}" '
NR > 1 && \$3 == "leak-late" { \$3 = "leak-stopped"; \$9 = 1 }
NR > 1 && \$3 == "shift" { \$3 = "steps" }
NR > 1 && \$3 == "noisy" { \$3 = "noisy-" (NR % n) }
NR > 1 && long != "" && \$3 == "flat" { \$3 = long }
{ print }' "\$truth" >"\$truth.new" && mv "\$truth.new" "\$truth"
EOF
chmod +x "$work/ptgen" || exit 99

fail=0
if ! NOISY_NAMES=20 "$pteval" --ptgen "$work/ptgen" --shapes basic --seed 1 \
	--machines 4 --tags 600 --files 300 >"$work/out" 2>"$work/err"; then
	echo "pteval failed on 30 shapes:"
	cat "$work/err"
	fail=1
fi
# Up to the ambiguous class: the well-posed tables.
sed '/^Ambiguous class/,$d' "$work/out" >"$work/wellposed"
sed -n '/^Ambiguous class/,$p' "$work/out" >"$work/ambiguous"

# In the table of every method, a row per new shape, with its measure.
grep -q '^| steps | FPR | [0-9]* | [0-9.]* | [0-9.]* | [0-9.]* | [0-9.]* | [0-9.]* | [0-9.]* |$' \
	"$work/wellposed" || { echo "no steps row for every method"; fail=1; }
grep -q '^| noisy-19 | FPR |' "$work/wellposed" ||
	{ echo "no noisy-19 row"; fail=1; }
# Stopped leaks are apart: in the ambiguous class as a leak shape, in no
# well-posed table.
if grep -q 'leak-stopped' "$work/wellposed"; then
	echo "leak-stopped in a well-posed table"
	fail=1
fi
grep -q '^| leak-stopped | recall | [1-9][0-9]* | ' "$work/ambiguous" ||
	{ echo "no leak-stopped row in the ambiguous class"; fail=1; }
grep -q '^| warmup | FPR | ' "$work/ambiguous" ||
	{ echo "no warmup row in the ambiguous class"; fail=1; }

NOISY_NAMES=40 "$pteval" --ptgen "$work/ptgen" --shapes basic --seed 1 \
	--machines 1 --tags 600 --files 60 >/dev/null 2>"$work/err"
status=$?
if [ $status -ne 1 ] || ! grep -q 'too many shapes' "$work/err"; then
	echo "50 shapes: exit $status, expected 1 and a message:"
	cat "$work/err"
	fail=1
fi
# A name pteval would have to cut short is refused too.
LONG_SHAPE=flat-tags-whose-name-is-too-long NOISY_NAMES=1 "$pteval" \
	--ptgen "$work/ptgen" --seed 1 --machines 1 --tags 600 --files 60 \
	>/dev/null 2>"$work/err"
status=$?
if [ $status -ne 1 ] || ! grep -q 'too long' "$work/err"; then
	echo "a 32-byte shape name: exit $status, expected 1 and a message:"
	cat "$work/err"
	fail=1
fi
[ $fail -eq 0 ] || { echo "--- output:"; cat "$work/out"; }
exit $fail
