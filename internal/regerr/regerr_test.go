package regerr

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

func TestNotFound(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&transport.Error{StatusCode: http.StatusNotFound}, true},
		{fmt.Errorf("wrapped: %w", &transport.Error{StatusCode: http.StatusBadRequest, Errors: []transport.Diagnostic{{Code: transport.ManifestUnknownErrorCode}}}), true},
		{&transport.Error{StatusCode: http.StatusBadRequest, Errors: []transport.Diagnostic{{Code: "NAME_UNKNOWN"}}}, true},
		{&transport.Error{StatusCode: http.StatusUnauthorized}, false},
		{errors.New("connection refused"), false},
		{nil, false},
	} {
		if got := NotFound(tc.err); got != tc.want {
			t.Errorf("NotFound(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
