// Package provision sets up, on a Debian bookworm host without Docker, everything
// the project runs on: Debian packages, the Dagger v0.21.8 engine and CLI built
// from their Go module, runc and CNI plugins built from theirs, a running engine
// and a local OCI registry (Debian's docker-registry, distribution 2.8).
//
// Up runs these steps in order, each idempotent:
//
//	apt              Debian packages (skipped when dpkg-query reports all installed)
//	iptables         /usr/bin/xtables-{legacy,nft}-multi links the engine expects
//	dagger           dagger-engine, dagger, dagger-init, dnsname, dial-stdio, codegen
//	                 built from ci/engine into $IMMUTABLE_HOME/bin/v0.21.8
//	runc             runc v1.4.2 (cgo, seccomp)
//	cni              CNI plugins v1.9.0 (bridge, loopback, firewall, host-local)
//	install          copies to the paths the engine hard-codes (/usr/local/bin/runc, ...)
//	Config.BeforeEngine hooks (e.g. the Go SDK image; may set Config.EngineEnv)
//	engine           dagger-engine in a private mount namespace, detached
//	registry         docker-registry on Config.Registry, detached
//	Config.AfterRegistry hooks (e.g. base images pushed to the registry)
//
// A step prints "==> name", then "    ok (1.2s)" when it did work or "    reused"
// when it found its result in place (it returned ErrReused). The first failing
// step stops Up with "up: <step>: <why>".
//
// Up and Down take turns through a lock on $IMMUTABLE_HOME/up.lock.
//
// Down stops the engine and the registry by their pid files. The engine runs
// in its own mount namespace, so its /etc/resolv.conf bind mount never touches
// the host's.
//
// All state lives under Config.Home (IMMUTABLE_HOME, default /var/lib/immutable)
// except the few install paths the engine hard-codes.
package provision
