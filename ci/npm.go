package main

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"dagger.io/dagger"
)

// npmFlags give the build access to a private npm registry.
type npmFlags struct {
	// token is where the npm token is read from: env:NAME or file:PATH.
	token string
	// service is the registry on this machine, tcp://HOST:PORT.
	service string
	// host is the name the builder reaches service by.
	host string
}

// npmToken makes the token a --npm-token value names a Dagger secret; ""
// gives nil.
func npmToken(c *dagger.Client, from string) (*dagger.Secret, error) {
	if from == "" {
		return nil, nil
	}
	value, err := readToken(from)
	if err != nil {
		return nil, err
	}
	return c.SetSecret("npm-token", value), nil
}

// readToken reads the value env:NAME or file:PATH names (a file's
// surrounding white space trimmed). Errors name the source, never the
// value.
func readToken(from string) (string, error) {
	kind, ref, ok := strings.Cut(from, ":")
	switch {
	case ok && kind == "env" && ref != "":
		if v := os.Getenv(ref); v != "" {
			return v, nil
		}
		return "", fmt.Errorf("--npm-token env:%s: $%s is empty or unset", ref, ref)
	case ok && kind == "file" && ref != "":
		b, err := os.ReadFile(ref)
		if err != nil {
			return "", fmt.Errorf("--npm-token file:%s: %w", ref, err)
		}
		if v := strings.TrimSpace(string(b)); v != "" {
			return v, nil
		}
		return "", fmt.Errorf("--npm-token file:%s: the file is empty", ref)
	}
	// Not echoed: it may be the token itself, given by mistake.
	return "", fmt.Errorf("--npm-token: want env:NAME (e.g. env:NPM_TOKEN) or file:PATH, not the token itself")
}

// hostPort parses a --npm-registry-service value, tcp://HOST:PORT.
func hostPort(s string) (string, int, error) {
	u, err := url.Parse(s)
	if err == nil && (u.Scheme != "tcp" || u.Hostname() == "" || u.Path != "" || u.User != nil) {
		err = fmt.Errorf("not tcp://HOST:PORT")
	}
	var port int
	if err == nil {
		port, err = strconv.Atoi(u.Port())
		if err == nil && (port < 1 || port > 65535) {
			err = fmt.Errorf("port %d out of range", port)
		}
	}
	if err != nil {
		return "", 0, fmt.Errorf("--npm-registry-service %q: %v; e.g. tcp://localhost:4873", s, err)
	}
	return u.Hostname(), port, nil
}

// npmRegistry makes a --npm-registry-service value a service forwarding
// the same port to this machine; "" gives nil.
func npmRegistry(c *dagger.Client, s string) (*dagger.Service, error) {
	if s == "" {
		return nil, nil
	}
	host, port, err := hostPort(s)
	if err != nil {
		return nil, err
	}
	return c.Host().Service([]dagger.PortForward{{Frontend: port, Backend: port}}, dagger.HostServiceOpts{Host: host}), nil
}
