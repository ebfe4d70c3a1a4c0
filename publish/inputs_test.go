package publish

import (
	"context"
	"reflect"
	"testing"
)

func TestInputsKey(t *testing.T) {
	parts := map[string]string{"source": "sha256:a", "options": "sha256:b"}
	a, b := NewInputs(parts), NewInputs(map[string]string{"options": "sha256:b", "source": "sha256:a"})
	if a.Key != b.Key {
		t.Errorf("same parts in another order: keys %s != %s", a.Key, b.Key)
	}
	if got := a.Changed(b); got != nil {
		t.Errorf("Changed(same) = %v, want nil", got)
	}
	for _, tc := range []struct {
		name  string
		parts map[string]string
		want  []string
	}{
		{"one changed", map[string]string{"source": "sha256:x", "options": "sha256:b"}, []string{"source"}},
		{"one added", map[string]string{"source": "sha256:a", "options": "sha256:b", "advisories": "none"}, []string{"advisories"}},
		{"one removed", map[string]string{"source": "sha256:a"}, []string{"options"}},
		{"both changed", map[string]string{"source": "sha256:x", "options": "sha256:y"}, []string{"options", "source"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := NewInputs(tc.parts)
			if in.Key == a.Key {
				t.Fatalf("key did not change: %s", in.Key)
			}
			if got := in.Changed(a); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Changed = %v, want %v", got, tc.want)
			}
		})
	}
	if s := a.Short(); len(s) != 12 {
		t.Errorf("Short() = %q, want 12 hex digits", s)
	}
}

// TestLookup reads a version's tag, record and missing attachments.
func TestLookup(t *testing.T) {
	repo := newRegistry(t, nil)
	ctx := context.Background()
	o := testOptions()
	r, err := Lookup(ctx, target(t, repo), ver(t, "1.0.0"), o)
	if err != nil {
		t.Fatal(err)
	}
	if r.Digest != "" || r.Record != nil || r.VersionTag != "v1.0.0" || r.RecordTag != "v1.0.0_release" {
		t.Errorf("Lookup(not released) = %+v", r)
	}

	sbom := testImage(t, 7) // stands for an attachment: a manifest in the repository
	mustPublish(t, repo, sbom, "0.1.0", o)
	in := NewInputs(map[string]string{"source": "sha256:a"})
	img := testImage(t, 1)
	rec := Record{Inputs: in, SBOMDigest: digestOf(t, sbom), Signature: digestOf(t, testImage(t, 8)),
		Gates: []Gate{{Name: "unit", Passed: true}}}
	if _, err := Publish(ctx, target(t, repo), img, ver(t, "1.0.0"), rec, o); err != nil {
		t.Fatal(err)
	}
	r, err = Lookup(ctx, target(t, repo), ver(t, "1.0.0"), o)
	if err != nil {
		t.Fatal(err)
	}
	if r.Digest != digestOf(t, img) || r.Record == nil || r.Record.Inputs.Key != in.Key || r.Record.Digest != r.Digest {
		t.Fatalf("Lookup(1.0.0) = %+v, want the digest and the record with its inputs", r)
	}
	want := []string{"signature " + rec.Signature}
	if !reflect.DeepEqual(r.Missing, want) {
		t.Errorf("Missing = %v, want %v (the SBOM is there, the signature is not)", r.Missing, want)
	}
}
