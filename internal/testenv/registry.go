package testenv

import (
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Tags reads every tag of repo from its registry: tag -> digest. A
// repository that does not exist has none.
func Tags(t testing.TB, repo string, opts ...remote.Option) map[string]string {
	t.Helper()
	r, err := name.NewRepository(repo)
	if err != nil {
		t.Fatal(err)
	}
	list, err := remote.List(r, opts...)
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		return map[string]string{}
	}
	if err != nil {
		t.Fatal(err)
	}
	tags := map[string]string{}
	for _, tag := range list {
		d, err := remote.Head(r.Tag(tag), opts...)
		if err != nil {
			t.Fatal(err)
		}
		tags[tag] = d.Digest.String()
	}
	return tags
}

// FetchAll reads img's config and every layer blob; blobs of a remote image
// are checked against their digests as they are read, so an error means
// the image is incomplete or corrupt.
func FetchAll(img v1.Image) error {
	if _, err := img.RawConfigFile(); err != nil {
		return err
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
