"""Child processes for the test runners (tests/polyglot, tests/session_import): fakedc and tgrpcd
print one JSON line when they are ready; this starts one, waits for that line, keeps its stderr
in a log file and stops it with SIGTERM."""

import json
import signal
import subprocess
import threading


class Process:
    """A child whose first stdout line is a JSON ready line; stderr goes to a log file."""

    def __init__(self, name, argv, log_path, cwd=None):
        self.name = name
        self.log_path = log_path
        self.log_file = open(log_path, "wb")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.log_file,
                                     stdin=subprocess.DEVNULL, cwd=cwd)
        self.lines = []
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.decode(errors="replace"))
            self.ready.set()
        self.ready.set()

    def ready_json(self, timeout=60):
        if not self.ready.wait(timeout) or not self.lines:
            raise RuntimeError(f"{self.name} did not start (exit {self.proc.poll()}); its log "
                               f"ends:\n{self.tail()}")
        return json.loads(self.lines[0])

    def tail(self, lines=15):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout=20):
        """SIGTERM, then the exit status (None if it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None
        return self.proc.returncode
