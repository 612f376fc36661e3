#!/bin/sh
# Every JSON report over the testdata inputs must parse and carry the
# contract's top-level fields.
#   json_parses.sh POOLTREND JQ TESTDATA
set -u
exe=$1 jq=$2 data=$3
status=0
for input in "$data"/demo "$data"/x64-append-crlf/poolmon.log \
		"$data"/x86-names "$data"/reboot-wrap/capture.txt; do
	if ! "$exe" -q --format json "$input" | "$jq" -e \
		'.schema_version == 1 and (.tags | length) > 0 and
		 (.tags[0] | has("tag") and has("tag_hex") and has("verdict") and
		  has("confidence") and has("growth_bytes_per_hour"))' >/dev/null
	then
		echo "JSON report of $input does not parse or lacks fields"
		status=1
	fi
done
# The diff document has its own schema_version.
if ! "$exe" diff -q --format json "$data"/demo | "$jq" -e \
	'.schema_version == 1 and (.tags | length) > 0 and
	 (.tags[0] | has("bytes_change") and has("status"))' >/dev/null
then
	echo "JSON diff of $data/demo does not parse or lacks fields"
	status=1
fi
exit $status
