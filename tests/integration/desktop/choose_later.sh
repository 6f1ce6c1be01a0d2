#!/bin/sh
# Stands in for dmenu in dunst's context menu (tests/integration/desktop/dunstrc):
# dunst writes one line per action ("#Later (summary) [id,later]") and runs
# the line printed back; this chooses the "Later" action, as a user would.
grep -m1 '\[[0-9]*,later\]$'
