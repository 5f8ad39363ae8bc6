#!/usr/bin/python3
"""The EWS lab: a whole site in Docker containers over virtual RS485 lines.

  lab/lab.py up TOPOLOGY.json RUN_DIR     bring a topology up and wait until it is ready
  lab/lab.py down RUN_DIR                 tear it down, leaving nothing behind
  lab/lab.py status RUN_DIR               the running site (addresses, lines, containers)
  lab/lab.py bus RUN_DIR LINE COMMAND...  a command to a line's virtual bus (faults, capture)
  lab/lab.py sim RUN_DIR NAME COMMAND...  a command to a simulator container (fault 3 silent)
  lab/lab.py check                        can this kernel run the lab's containers? (exit 77: no)

Everything lives in RUN_DIR (keep it short: unix socket paths have at most 107 bytes): a
lab-private dockerd (its data, exec root and socket), the virtual buses (host processes, one per
RS485 line: the box's own and one behind each IP gateway), the device container's data
directory, the simulators' command FIFOs and a state.json that `down` reads. Images are imported
from the Bazel-built rootfs tarballs (BIN_DIR, default .bazel/bin): ews-device:lab
(//lab/image:device_rootfs) and ews-lab:lab (//lab/image:lab_rootfs). Containers talk over an
internal network of the lab's own (10.231.N.0/24, no route out); the host reaches it through the
network's bridge, so a browser or mbpoll on the host can talk to the device container.
See lab/README.md.
"""

import ipaddress
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEVICE_IMAGE = "ews-device:lab"
LAB_IMAGE = "ews-lab:lab"
# The lab's installer session (the API's device routes need one): the factory PIN is changed to
# these codes on the first login, as the server demands (docs/api.md "Session and users").
LAB_ROLE = "installer"
LAB_FACTORY_PIN = "55555"
LAB_PIN = "13579"
LAB_PUK = "13579 1357 91357"
SERVICE_UID = 101  # the device image's ews user (lab/image/BUILD.bazel)
DIALOUT_GID = 20
SKIP = 77


class LabError(Exception):
    pass


def log(message):
    print("lab: " + message, file=sys.stderr, flush=True)


def wait_for(what, predicate, timeout_s, interval_s=0.2):
    deadline = time.monotonic() + timeout_s
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise LabError("timed out after %ds waiting for %s" % (timeout_s, what))
        time.sleep(interval_s)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child counts as gone.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ")[-1][0] != "Z"
    except OSError:
        return False


def stop_pid(pid, timeout_s=20):
    """SIGTERM, then SIGKILL after timeout_s; reaps it if it is our child."""
    if not pid or not pid_alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
        while pid_alive(pid):
            time.sleep(0.05)
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def parse_device(spec):
    """"ADDRESS:PROFILE[:OPTIONS]" -> (address, profile)."""
    parts = spec.split(":")
    return int(parts[0]), parts[1]


class Lab:
    """One running (or torn-down) site, its state kept in RUN_DIR/state.json."""

    def __init__(self, run_dir, bin_dir=None):
        self.run_dir = os.path.abspath(run_dir)
        self.bin_dir = bin_dir or os.environ.get("BIN_DIR") or os.path.join(REPO, ".bazel/bin")
        self.state_file = os.path.join(self.run_dir, "state.json")
        self.state = {}
        self.cookie = None  # the lab's installer session (log_in)
        if os.path.exists(self.state_file):
            with open(self.state_file) as f:
                self.state = json.load(f)

    # ---------------------------------------------------------------- state and docker

    def save(self):
        with open(self.state_file + ".tmp", "w") as f:
            json.dump(self.state, f, indent=1, sort_keys=True)
        os.replace(self.state_file + ".tmp", self.state_file)

    @property
    def docker_host(self):
        return "unix://" + os.path.join(self.run_dir, "docker.sock")

    def docker(self, *args, check=True, timeout=120):
        env = dict(os.environ, DOCKER_HOST=self.docker_host)
        result = subprocess.run(["docker"] + list(args), capture_output=True, text=True,
                                env=env, timeout=timeout)
        if check and result.returncode != 0:
            raise LabError("docker %s: %s" % (" ".join(args[:3]), result.stderr.strip()))
        return result.stdout.strip()

    def start_daemon(self):
        docker_dir = os.path.join(self.run_dir, "docker")
        os.makedirs(docker_dir, exist_ok=True)
        self.state["created_paths"] = [
            p for p in ("/etc/docker/key.json", "/etc/docker", "/run/docker/plugins", "/run/docker")
            if not os.path.exists(p)
        ]
        daemon_log = open(os.path.join(self.run_dir, "dockerd.log"), "w")
        process = subprocess.Popen(
            ["dockerd", "--data-root", docker_dir + "/data", "--exec-root", docker_dir + "/exec",
             "-H", self.docker_host, "--pidfile", docker_dir + "/dockerd.pid",
             "--iptables=false", "--ip6tables=false", "--bridge=none", "--storage-driver=vfs",
             "--config-file", self.write_daemon_config()],
            stdin=subprocess.DEVNULL, stdout=daemon_log, stderr=subprocess.STDOUT,
            start_new_session=True)
        self.state["dockerd_pid"] = process.pid
        self.save()

        def answers():
            if process.poll() is not None:
                raise LabError("dockerd exited (%s): see %s/dockerd.log" %
                               (process.returncode, self.run_dir))
            return self.docker("version", "--format", "{{.Server.Version}}", check=False,
                               timeout=10) or None

        version = wait_for("the lab's dockerd", answers, 60)
        log("dockerd %s on %s" % (version, self.docker_host))

    def write_daemon_config(self):
        path = os.path.join(self.run_dir, "docker", "daemon.json")
        with open(path, "w") as f:
            json.dump({"log-driver": "json-file", "log-opts": {"max-size": "5m"}}, f)
        return path

    def import_images(self):
        for image, tarball in ((DEVICE_IMAGE, "lab/image/device_rootfs.tar"),
                               (LAB_IMAGE, "lab/image/lab_rootfs.tar")):
            path = os.path.join(self.bin_dir, tarball)
            if not os.path.exists(path):
                raise LabError("%s missing: bazel build //lab/image:all" % path)
            changes = ["--change", "USER ews"] if image == DEVICE_IMAGE else []
            self.docker("import", *changes, path, image)
        log("imported %s (%s), %s" % (DEVICE_IMAGE, self.image_size(DEVICE_IMAGE), LAB_IMAGE))

    def image_size(self, image):
        return "%.1f MB" % (int(self.docker("image", "inspect", "--format", "{{.Size}}", image))
                            / 1e6)

    def create_network(self):
        # A /24 of 10.231.0.0/16 nobody uses yet (other labs may run beside this one).
        used = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True,
                              text=True).stdout
        for third in [(os.getpid() + i) % 250 + 1 for i in range(250)]:
            subnet = "10.231.%d.0/24" % third
            if "10.231.%d." % third in used:
                continue
            name = "ewslab-%d" % third
            result = self.docker("network", "create", "--internal", "--subnet", subnet,
                                 "--label", "ews-lab=1", name, check=False)
            if result:
                self.state["network"] = name
                self.state["subnet"] = subnet
                self.save()
                return
        raise LabError("no free 10.231.N.0/24 subnet for the lab network")

    def address(self, host_number):
        network = ipaddress.ip_network(self.state["subnet"])
        return str(network.network_address + host_number)

    # ---------------------------------------------------------------- lines (virtual buses)

    def start_line(self, name, endpoints, line_settings):
        line_dir = os.path.join(self.run_dir, "lines", name)
        os.makedirs(line_dir, exist_ok=True)
        bus_log = os.path.join(line_dir, "bus.log")
        process = subprocess.Popen(
            [os.path.join(self.bin_dir, "lab/bus/virtual_bus"), "--endpoints=%d" % endpoints,
             "--line=" + line_settings, "--link_dir=" + line_dir,
             "--control_socket=" + os.path.join(line_dir, "control"),
             "--capture_file=" + os.path.join(line_dir, "capture.txt")],
            stdin=subprocess.DEVNULL, stdout=open(bus_log, "w"), stderr=subprocess.STDOUT,
            start_new_session=True)
        self.state.setdefault("lines", {})[name] = {"pid": process.pid, "dir": line_dir,
                                                    "settings": line_settings}
        self.save()

        def ready():
            if process.poll() is not None:
                raise LabError("virtual bus %s exited: see %s" % (name, bus_log))
            with open(bus_log) as f:
                text = f.read()
            return text if "\nready" in text else None

        text = wait_for("virtual bus " + name, ready, 10)
        ptys = {}
        for row in text.splitlines():
            fields = row.split()
            if len(fields) == 3 and fields[0] == "endpoint":
                ptys[fields[1]] = fields[2]
        self.state["lines"][name]["endpoints"] = ptys
        self.save()
        return ptys

    def bus_command(self, line, command, timeout_s=10):
        """Sends one command to a line's bus; returns its output (raises on `error:`)."""
        path = os.path.join(self.state["lines"][line]["dir"], "control")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout_s)
            sock.connect(path)
            sock.sendall((command + "\nquit\n").encode())
            data = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        text = data.decode(errors="replace")
        lines = text.splitlines()
        if any(row.startswith("error:") for row in lines):
            raise LabError("bus %s: %s: %s" % (line, command, text.strip()))
        # Drop the two trailing "ok" answers (the command's and quit's).
        while lines and lines[-1] == "ok":
            lines.pop()
        return "\n".join(lines)

    # ---------------------------------------------------------------- containers

    def container_name(self, role):
        return "ewslab-%s-%s" % (self.state["network"].split("-")[1], role)

    def run_container(self, role, image, command, pty=None, ip=None, volumes=()):
        name = self.container_name(role)
        args = ["run", "-d", "--name", name, "--label", "ews-lab=1", "--init"]
        if ip:
            args += ["--network", self.state["network"], "--ip", ip]
        else:
            args += ["--network", "none"]
        if pty:
            args += ["-v", "%s:/dev/ttyRS485" % pty]
        for volume in volumes:
            args += ["-v", volume]
        self.docker(*args, image, *command)
        self.state.setdefault("containers", []).append(name)
        self.save()
        return name

    def start_simulator(self, name, line_settings, pty, devices):
        sim_dir = os.path.join(self.run_dir, "sims", name)
        os.makedirs(sim_dir, exist_ok=True)
        os.mkfifo(os.path.join(sim_dir, "commands"))
        command = ["/usr/bin/device_simulator", "--port=/dev/ttyRS485", "--line=" + line_settings,
                   "--commands=/lab/commands"] + ["--device=" + d for d in devices]
        container = self.run_container("sim-" + name, LAB_IMAGE, command, pty=pty,
                                       volumes=["%s:/lab" % sim_dir])
        self.state.setdefault("simulators", {})[name] = {"container": container, "dir": sim_dir,
                                                         "devices": devices}
        self.save()
        wait_for("simulator " + name,
                 lambda: "ready" in self.docker("logs", container, check=False), 20)

    def simulator_command(self, name, command):
        fifo = os.path.join(self.state["simulators"][name]["dir"], "commands")
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(fd, (command + "\n").encode())
        finally:
            os.close(fd)

    # ---------------------------------------------------------------- the site

    def up(self, topology_path):
        with open(topology_path) as f:
            topology = json.load(f)
        os.makedirs(self.run_dir, exist_ok=True)
        started = time.monotonic()
        self.state = {"topology": topology, "topology_file": os.path.abspath(topology_path),
                      "run_dir": self.run_dir}
        self.save()
        self.start_daemon()
        self.import_images()
        self.create_network()
        line_settings = topology.get("line", "19200 8E1")
        box = topology.get("rs485", [])
        gateways = topology.get("ip_gateways", [])

        # The box's own RS485 line: endpoint 0 = the device, 1..n = simulators, last = spare.
        box_ptys = self.start_line("rs485", len(box) + 2, line_settings)
        for index, group in enumerate(box):
            self.start_simulator(group["name"], line_settings, box_ptys[str(index + 1)],
                                 group["devices"])
        device_pty = box_ptys["0"]
        os.chown(device_pty, -1, DIALOUT_GID)  # as on the board: the port belongs to dialout
        os.chmod(device_pty, 0o660)

        # Each IP gateway: its own line, a gateway container and the simulators behind it.
        for number, gateway in enumerate(gateways):
            settings = gateway.get("line", line_settings)
            ptys = self.start_line(gateway["name"], len(gateway["groups"]) + 2, settings)
            for index, group in enumerate(gateway["groups"]):
                self.start_simulator(group["name"], settings, ptys[str(index + 1)],
                                     group["devices"])
            ip = self.address(20 + number)
            self.run_container("gw-" + gateway["name"], LAB_IMAGE,
                               ["/usr/bin/ews-gateway", "--tty=/dev/ttyRS485",
                                "--serial=" + settings, "--port=502"], pty=ptys["0"], ip=ip)
            gateway["ip"] = ip
        self.state["gateways"] = gateways
        self.save()

        self.start_device(topology)
        if gateways:
            self.add_gateway_devices(gateways)
            self.restart_device()
        self.wait_device_ready(len(self.expected_devices()))
        self.state["up_seconds"] = round(time.monotonic() - started, 1)
        self.save()
        log("up in %.0f s: https://%s/ (Modbus TCP %s:502)" %
            (self.state["up_seconds"], self.state["device_ip"], self.state["device_ip"]))

    def expected_devices(self):
        topology = self.state["topology"]
        ids = []
        for group in topology.get("rs485", []):
            ids += ["rs485:%d" % parse_device(d)[0] for d in group["devices"]]
        for gateway in topology.get("ip_gateways", []):
            for group in gateway["groups"]:
                ids += ["%s:%d" % (gateway["name"], parse_device(d)[0]) for d in group["devices"]]
        if topology.get("pulse_inputs"):
            ids += ["pulse:water-main", "pulse:gas-boiler", "pulse:submeter-lighting"]
        return ids

    def start_device(self, topology):
        data_dir = os.path.join(self.run_dir, "device-data")
        os.makedirs(data_dir, exist_ok=True)
        os.chown(data_dir, SERVICE_UID, SERVICE_UID)
        os.chmod(data_dir, 0o750)
        ip = self.address(10)
        command = ["/usr/bin/ews-server", "--data_dir=/var/lib/ews",
                   "--web_root=/usr/share/ews/web",
                   # The lab's box has no RTC chip: a battery-backed one is simulated in
                   # its data directory (the crash_restart scenario checks the clock).
                   "--simulate_rtc",
                   "--model_size=%d" % topology.get("model_size", 32)]
        if server_has_flag("ntp_servers"):
            # The lab network is internal: no NTP (the factory configuration names
            # pool.ntp.org); the simulated RTC keeps the time.
            command.append("--ntp_servers=off")
        if topology.get("rs485"):
            command.append("--scan_on_first_start=" + topology.get("scan", "1-30"))
        if topology.get("pulse_inputs"):
            command.append("--simulate_pulse_inputs")
        command += topology.get("server_flags", [])
        self.state["device_ip"] = ip
        self.state["data_dir"] = data_dir
        self.apply_network_settings()
        self.state["device"] = self.run_container(
            "device", DEVICE_IMAGE, command, pty=self.state["lines"]["rs485"]["endpoints"]["0"],
            ip=ip, volumes=["%s:/var/lib/ews" % data_dir])
        self.save()
        self.wait_server_started()

    def apply_network_settings(self):
        """What the device's unit does before the server starts (ExecStartPre), with the lab's
        recording backend: the container's network belongs to Docker."""
        self.docker("run", "--rm", "--network", "none", "-v",
                    "%s:/var/lib/ews" % self.state["data_dir"], DEVICE_IMAGE,
                    "/usr/bin/ews-network-apply", "--config=/var/lib/ews/config.textproto",
                    "--backend=record", "--record_file=/var/lib/ews/network.record")

    def wait_server_started(self, timeout_s=120):
        ready = os.path.join(self.state["data_dir"], "run", "ews-server.ready")

        def started():
            running = self.docker("inspect", "--format", "{{.State.Running}}",
                                  self.state["device"], check=False)
            if running == "false":
                raise LabError("the device container stopped:\n" +
                               self.docker("logs", "--tail", "30", self.state["device"],
                                           check=False))
            return os.path.exists(ready) and os.path.getsize(ready) > 0

        wait_for("ews-server in the device container", started, timeout_s)

    def stop_device(self, kill=False):
        if kill:
            self.docker("kill", "--signal", "KILL", self.state["device"])
        else:
            self.docker("stop", "--time", "20", self.state["device"])
        ready = os.path.join(self.state["data_dir"], "run", "ews-server.ready")
        if os.path.exists(ready):
            os.unlink(ready)  # a killed server leaves it behind

    def restart_device(self, kill=False):
        self.stop_device(kill)
        self.apply_network_settings()
        self.docker("start", self.state["device"])
        self.wait_server_started()

    def add_gateway_devices(self, gateways):
        """Commissions the devices behind the IP gateways (appended to the configuration)."""
        self.stop_device()
        text = ""
        for gateway in gateways:
            text += ('ip_gateways {\n  id: "%s"\n  name: "Gateway %s"\n  host: "%s"\n  port: 502\n'
                     '  protocol: GATEWAY_PROTOCOL_MODBUS_TCP\n  response_timeout_ms: 1000\n}\n' %
                     (gateway["name"], gateway["name"], gateway["ip"]))
            for group in gateway["groups"]:
                for spec in group["devices"]:
                    address, profile = parse_device(spec)
                    text += ('modbus_devices {\n  id: "%s-%d"\n  name: "%s @%s/%d"\n'
                             '  profile: "%s"\n  address: %d\n  ip_gateway {\n'
                             '    gateway_id: "%s"\n  }\n}\n' %
                             (gateway["name"], address, profile, gateway["name"], address,
                              profile, address, gateway["name"]))
        with open(os.path.join(self.state["data_dir"], "config.textproto"), "a") as f:
            f.write(text)

    def request(self, method, path, body=None, timeout_s=10, csrf=None):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        request = urllib.request.Request(
            "https://%s%s" % (self.state["device_ip"], path), method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"})
        if self.cookie:
            request.add_header("Cookie", self.cookie)
        if csrf:
            request.add_header("X-CSRF-Token", csrf)
        with urllib.request.urlopen(request, context=context, timeout=timeout_s) as response:
            for header, value in response.getheaders():
                if header.lower() == "set-cookie" and value.startswith("__Host-ews_session="):
                    self.cookie = value.split(";")[0]
            return json.load(response)

    def log_in(self):
        """An installer session; the first login changes the factory PIN to the lab's."""
        def login(pin):
            for _ in range(4):
                try:
                    self.cookie = None
                    return self.request("POST", "/api/v1/session/login",
                                        {"role": LAB_ROLE, "pin": pin})
                except urllib.error.HTTPError as error:
                    if error.code != 429:
                        raise
                    time.sleep(4)  # the login rate limit (per user type: 1 per 3 s)
            raise LabError("login rate-limited")

        try:
            login(LAB_PIN)
        except urllib.error.HTTPError as error:
            if error.code != 401:
                raise
            session = login(LAB_FACTORY_PIN)["session"]
            self.request("POST", "/api/v1/session/codes",
                         {"current_pin": LAB_FACTORY_PIN, "new_pin": LAB_PIN, "new_puk": LAB_PUK},
                         csrf=session["csrf_token"])
            login(LAB_PIN)

    def api(self, path, timeout_s=10):
        """GET an API route as the lab's installer (logs in again when the session is gone)."""
        try:
            return self.request("GET", path, timeout_s=timeout_s)
        except urllib.error.HTTPError as error:
            if error.code != 401:
                raise
        self.log_in()
        return self.request("GET", path, timeout_s=timeout_s)

    def wait_device_ready(self, expected_online, timeout_s=120):
        def all_online():
            try:
                devices = self.api("/api/v1/devices")["devices"]
            except (OSError, ValueError):
                return None
            online = [d for d in devices if d.get("online")]
            return devices if len(online) >= expected_online else None

        wait_for("%d devices online" % expected_online, all_online, timeout_s, 0.5)

    # ---------------------------------------------------------------- teardown

    def down(self):
        """Removes containers, network, buses, the daemon, mounts and RUN_DIR."""
        problems = []
        if self.state.get("dockerd_pid") and pid_alive(self.state["dockerd_pid"]):
            for name in self.state.get("containers", []):
                self.docker("rm", "-f", "-v", name, check=False)
            left = self.docker("ps", "-aq", check=False)
            if left:
                self.docker("rm", "-f", "-v", *left.split(), check=False)
            if self.state.get("network"):
                self.docker("network", "rm", self.state["network"], check=False)
            self.docker("volume", "prune", "-f", check=False)
        for name, line in self.state.get("lines", {}).items():
            if pid_alive(line["pid"]):
                try:
                    self.bus_command(name, "shutdown", timeout_s=5)
                except (OSError, LabError):
                    pass
                stop_pid(line["pid"], 5)
        stop_pid(self.state.get("dockerd_pid"), 30)
        # Anything else still running from RUN_DIR (containerd, shims) is ours: stop it by pid.
        for pid in self.processes_of_run_dir():
            stop_pid(pid, 5)
        for mount in reversed(self.mounts_under_run_dir()):
            subprocess.run(["umount", "-l", mount], check=False)
        other_daemons = [int(pid) for pid in subprocess.run(
            ["pgrep", "-x", "dockerd"], capture_output=True, text=True).stdout.split()
                         if pid_alive(int(pid))]
        if not other_daemons:
            for path in self.state.get("created_paths", []):
                if os.path.isdir(path):
                    shutil.rmtree(path, ignore_errors=True)
                elif os.path.exists(path):
                    os.unlink(path)
        if self.state.get("subnet"):
            prefix = self.state["subnet"].rsplit(".", 1)[0] + "."
            links = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True,
                                   text=True).stdout
            if prefix in links:
                problems.append("an interface still holds " + self.state["subnet"])
        left_processes = self.processes_of_run_dir()
        if left_processes:
            problems.append("processes still running: %s" % left_processes)
        if self.mounts_under_run_dir():
            problems.append("mounts left under %s" % self.run_dir)
        shutil.rmtree(self.run_dir, ignore_errors=True)
        if os.path.exists(self.run_dir):
            problems.append("%s could not be removed" % self.run_dir)
        if problems:
            raise LabError("down left something behind: " + "; ".join(problems))
        log("down: containers, network, buses, dockerd and %s removed" % self.run_dir)

    def processes_of_run_dir(self):
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            try:
                with open("/proc/%s/cmdline" % entry, "rb") as f:
                    cmdline = f.read().decode(errors="replace")
            except OSError:
                continue
            if self.run_dir + "/" in cmdline and pid_alive(int(entry)):
                pids.append(int(entry))
        return pids

    def mounts_under_run_dir(self):
        with open("/proc/mounts") as f:
            return [row.split()[1] for row in f
                    if row.split()[1].startswith(self.run_dir + "/")]


def server_has_flag(name):
    """Whether the ews-server in the image (built from this tree) has the flag `name`."""
    with open(os.path.join(REPO, "apps", "server", "server_main.cc")) as f:
        return (", %s," % name) in f.read()


def check_containers():
    """Returns None if a container runs here, else the reason."""
    if not shutil.which("dockerd") or not shutil.which("docker"):
        return "dockerd/docker not installed (tools/setup.sh installs docker.io)"
    if os.geteuid() != 0:
        return "the lab's private dockerd needs root"
    run_dir = "/tmp/ewslab-check.%d" % os.getpid()
    lab = Lab(run_dir)
    try:
        os.makedirs(run_dir)
        lab.start_daemon()
        lab.import_images()
        output = lab.docker("run", "--rm", "--network", "none", LAB_IMAGE, "/usr/bin/echo",
                            "container-ok", check=False, timeout=60)
        if "container-ok" not in output:
            return "the kernel refused a container: " + output
        return None
    except (LabError, OSError, subprocess.SubprocessError) as error:
        return str(error)
    finally:
        try:
            lab.down()
        except LabError as error:
            log(str(error))


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    command = argv[1]
    try:
        if command == "check":
            reason = check_containers()
            if reason:
                print("containers unavailable: " + reason)
                return SKIP
            print("containers available")
            return 0
        if command == "up" and len(argv) == 4:
            lab = Lab(argv[3])
            try:
                lab.up(argv[2])
            except BaseException:
                log("up failed: tearing down")
                lab.down()
                raise
            print(json.dumps(status_of(lab), indent=1))
            return 0
        if command == "down" and len(argv) == 3:
            Lab(argv[2]).down()
            return 0
        if command == "status" and len(argv) == 3:
            print(json.dumps(status_of(Lab(argv[2])), indent=1))
            return 0
        if command == "bus" and len(argv) >= 5:
            print(Lab(argv[2]).bus_command(argv[3], " ".join(argv[4:])))
            return 0
        if command == "sim" and len(argv) >= 5:
            Lab(argv[2]).simulator_command(argv[3], " ".join(argv[4:]))
            return 0
    except LabError as error:
        log(str(error))
        return 1
    print(__doc__)
    return 2


def status_of(lab):
    state = lab.state
    return {
        "web": "https://%s/" % state.get("device_ip"),
        "modbus_tcp": "%s:502" % state.get("device_ip"),
        "docker_host": lab.docker_host,
        "device_container": state.get("device"),
        "containers": state.get("containers", []),
        "lines": {name: {"settings": line["settings"], "control": line["dir"] + "/control",
                         "endpoints": line.get("endpoints", {})}
                  for name, line in state.get("lines", {}).items()},
        "gateways": {g["name"]: g["ip"] for g in state.get("gateways", [])},
        "simulators": {name: sim["devices"] for name, sim in state.get("simulators", {}).items()},
        "up_seconds": state.get("up_seconds"),
    }


if __name__ == "__main__":
    sys.exit(main(sys.argv))
