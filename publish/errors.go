package publish

import (
	"errors"
	"net"
	"net/http"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Error classes. Every error from this package that has one of these causes
// wraps it, so callers can tell what to fix with errors.Is.
var (
	// ErrInvalidVersion: the version is not strict semver (or not a valid
	// tag), e.g. "1.0", "latest", "1.0.0;rm -rf /".
	ErrInvalidVersion = errors.New("invalid version")
	// ErrInvalidRepository: the repository name is not a valid image
	// repository, e.g. upper case or a tag in it.
	ErrInvalidRepository = errors.New("invalid repository")
	// ErrVersionExists: the version is already released with another
	// digest; version tags are immutable.
	ErrVersionExists = errors.New("version already released with another digest")
	// ErrUnauthorized: the registry refused the credentials (401/403).
	ErrUnauthorized = errors.New("registry refused the credentials")
	// ErrUnreachable: no connection to the registry (refused, no route,
	// unknown host, timeout).
	ErrUnreachable = errors.New("registry unreachable")
)

// classError adds a class and a hint to an error while keeping its text
// and its chain.
type classError struct {
	class error
	hint  string
	err   error
}

func (e *classError) Error() string   { return e.err.Error() + e.hint }
func (e *classError) Unwrap() []error { return []error{e.class, e.err} }

// classify wraps registry errors in ErrUnauthorized or ErrUnreachable; other
// errors (and already classified ones) are returned unchanged.
func classify(err error) error {
	if err == nil || errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrUnreachable) {
		return err
	}
	var terr *transport.Error
	if errors.As(err, &terr) && (terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden) {
		return &classError{ErrUnauthorized, " (the registry refused the credentials: check the registry username and password or token)", err}
	}
	var oerr *net.OpError
	var dnsErr *net.DNSError
	if (errors.As(err, &oerr) && oerr.Op == "dial") || errors.As(err, &dnsErr) {
		return &classError{ErrUnreachable, " (cannot connect to the registry: is it running and is the address right?)", err}
	}
	return err
}
