"""`make demo`'s terminal: one line per log record, so the banner stays in view.

Reads the output of `dagster dev` (the webserver's, the daemon's and every run's) and prints
each log record's first line and, of a record that carries an error, the error's own line
("Failure: release refused: …") without its stack trace. Lines before the first record (a
crash at start-up) pass unchanged. The UI keeps every event whole, traces included.
"""

import re
import signal
import sys

RECORD = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} - ")  # Dagster's log line
ERROR = re.compile(r"(?:[A-Za-z_]\w*\.)*([A-Za-z_]\w*): (.+)")  # `module.ErrorClass: message`


def main() -> None:
    # Ctrl-C reaches the whole terminal's group: `dagster dev` shuts down and this goes on
    # until its last line, so nothing it says on the way out is lost.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    in_record = False
    for line in sys.stdin:
        if RECORD.match(line):
            in_record = True
            sys.stdout.write(line)
        elif not in_record:
            sys.stdout.write(line)
        elif error := ERROR.fullmatch(line.rstrip("\n")):
            sys.stdout.write(f"    {error.group(1)}: {error.group(2)}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
