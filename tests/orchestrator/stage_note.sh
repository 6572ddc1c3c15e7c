#!/bin/sh
# stage_note.sh FILE ARG... — a test notification command: appends its arguments as one line
# to FILE.
file=$1; shift
echo "$*" >> "$file"
