// Package regerr classifies registry errors from go-containerregistry.
package regerr

import (
	"errors"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// NotFound reports whether err says the registry has no such repository,
// tag or manifest: a 404, or a MANIFEST_UNKNOWN / NAME_UNKNOWN error code
// (some registries answer those with other statuses).
func NotFound(err error) bool {
	var terr *transport.Error
	if !errors.As(err, &terr) {
		return false
	}
	if terr.StatusCode == http.StatusNotFound {
		return true
	}
	for _, d := range terr.Errors {
		if d.Code == transport.ManifestUnknownErrorCode || strings.EqualFold(string(d.Code), "NAME_UNKNOWN") {
			return true
		}
	}
	return false
}
