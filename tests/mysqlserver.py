"""A throwaway MariaDB (MySQL) server for the table-size tests: a data folder made with
mariadb-install-db, the server on a free loopback port, stopped at the end of the session.

The binaries come from PATH or /usr/sbin; `.ci/run` installs Debian's `mariadb-server`
package when they are missing. Grant tables are skipped: any user connects.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time

from pgserver import free_port


class MysqlUnavailable(RuntimeError):
    pass


def _find(*names: str) -> str:
    for name in names:
        found = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.path.exists(p)),
                                           None)
        if found:
            return found
    raise MysqlUnavailable(f"{names[0]} not found: install MariaDB (Debian: apt-get install mariadb-server)")


class Server:
    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="lintmig-mysql-")
        self.data = os.path.join(self.root, "data")
        self.port = free_port()
        self.process = None

    def start(self) -> "Server":
        user = ["--user=root"] if os.geteuid() == 0 else []
        done = subprocess.run([_find("mariadb-install-db", "mysql_install_db"), "--no-defaults", f"--datadir={self.data}",
                               "--skip-test-db", "--auth-root-authentication-method=normal", *user],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise MysqlUnavailable(f"mariadb-install-db failed: {done.stdout}{done.stderr}")
        self.process = subprocess.Popen(
            [_find("mariadbd", "mysqld"), "--no-defaults", f"--datadir={self.data}", f"--port={self.port}",
             "--bind-address=127.0.0.1", f"--socket={os.path.join(self.root, 'sock')}", "--skip-grant-tables",
             "--skip-name-resolve", f"--log-error={os.path.join(self.root, 'log')}", *user],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                self.connect().close()
                return self
            except Exception:  # not accepting connections yet
                if self.process.poll() is not None:
                    break
                time.sleep(0.2)
        log = open(os.path.join(self.root, "log")).read() if os.path.exists(os.path.join(self.root, "log")) else ""
        self.stop()
        raise MysqlUnavailable(f"MariaDB did not start: {log[-2000:]}")

    def connect(self, database: str = ""):
        import pymysql

        return pymysql.connect(host="127.0.0.1", port=self.port, user="root", database=database or None,
                               autocommit=True)

    def url(self, database: str) -> str:
        return f"mysql://root@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.root, ignore_errors=True)
