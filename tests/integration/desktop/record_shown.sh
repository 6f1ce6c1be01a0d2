#!/bin/sh
# dunst runs this for every notification it shows or replaces
# (tests/integration/desktop/dunstrc, rule "record_shown"): one line
# "ID URGENCY SUMMARY" into $UPKEEP_TEST_SHOWN, a FIFO the test reads.
printf '%s %s %s\n' "$DUNST_ID" "$DUNST_URGENCY" "$DUNST_SUMMARY" >"$UPKEEP_TEST_SHOWN"
