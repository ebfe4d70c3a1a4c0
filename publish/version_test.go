package publish

import (
	"slices"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
)

func TestTags(t *testing.T) {
	for _, tc := range []struct {
		version, prefix string
		wantTag         string
		wantFloating    []string
		wantErr         string
	}{
		{"1.2.3", "v", "v1.2.3", []string{"v1.2", "v1", "latest"}, ""},
		{"v1.2.3", "v", "v1.2.3", []string{"v1.2", "v1", "latest"}, ""},
		{"1.2.3", "", "1.2.3", []string{"1.2", "1", "latest"}, ""},
		{"v0.1.0", "", "0.1.0", []string{"0.1", "0", "latest"}, ""},
		{"10.20.30", "release-", "release-10.20.30", []string{"release-10.20", "release-10", "latest"}, ""},
		{"1.3.0-rc.1", "v", "v1.3.0-rc.1", nil, ""},
		{"v2.0.0-alpha-2.beta", "", "2.0.0-alpha-2.beta", nil, ""},
		{"1.2", "v", "", nil, "want e.g. 1.4.0 or v1.4.0"},
		{"1", "v", "", nil, "want e.g. 1.4.0 or v1.4.0"},
		{"", "v", "", nil, "want e.g. 1.4.0 or v1.4.0"},
		{"vv1.2.3", "v", "", nil, "want e.g. 1.4.0 or v1.4.0"},
		{"01.2.3", "v", "", nil, "want e.g. 1.4.0 or v1.4.0"},
		{"latest", "v", "", nil, "want e.g. 1.4.0 or v1.4.0"},
		{"1.2.3+build.5", "v", "", nil, "build metadata"},
		{"1.2.3", "my_", "", nil, "reserved"},
		{"1.2.3", "a/b", "", nil, "tag prefix"},
	} {
		t.Run(tc.version+"/"+tc.prefix, func(t *testing.T) {
			tag, floating, err := Tags(tc.version, tc.prefix)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Tags(%q, %q) error = %v, want it to contain %q", tc.version, tc.prefix, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Tags(%q, %q) = %v", tc.version, tc.prefix, err)
			}
			if tag != tc.wantTag || !slices.Equal(floating, tc.wantFloating) {
				t.Errorf("Tags(%q, %q) = %q, %v, want %q, %v", tc.version, tc.prefix, tag, floating, tc.wantTag, tc.wantFloating)
			}
		})
	}
}

func TestVersionFromTag(t *testing.T) {
	for _, tc := range []struct {
		tag, prefix, want string
	}{
		{"v1.2.3", "v", "1.2.3"},
		{"v1.2.3-rc.1", "v", "1.2.3-rc.1"},
		{"1.2.3", "", "1.2.3"},
		{"v1.2.3", "", ""}, // other prefix
		{"1.2.3", "v", ""},
		{"v1.2", "v", ""},
		{"v1", "v", ""},
		{"latest", "v", ""},
		{"v1.2.3_release", "v", ""},
		{"v1.3.0-rc.1_release", "v", ""},
		{"rollback_0001", "", ""},
		{"sha256-abc", "", ""},
	} {
		got := ""
		if v := versionFromTag(tc.tag, tc.prefix); v != nil {
			got = v.String()
		}
		if got != tc.want {
			t.Errorf("versionFromTag(%q, %q) = %q, want %q", tc.tag, tc.prefix, got, tc.want)
		}
	}
}

func TestIsFloating(t *testing.T) {
	for _, tc := range []struct {
		tag, prefix string
		want        bool
	}{
		{"latest", "v", true},
		{"v1", "v", true},
		{"v1.2", "v", true},
		{"1.2", "", true},
		{"v1.2.3", "v", false},
		{"v01", "v", false},
		{"1", "v", false},
		{"rollback_0001", "", false},
	} {
		if got := isFloating(tc.tag, tc.prefix); got != tc.want {
			t.Errorf("isFloating(%q, %q) = %v, want %v", tc.tag, tc.prefix, got, tc.want)
		}
	}
}

// TestFloatingDecision checks which floating tags a new version takes,
// given the versions already released: the rule Publish applies.
func TestFloatingDecision(t *testing.T) {
	for _, tc := range []struct {
		name     string
		released []string
		version  string
		want     []string
	}{
		{"first release", nil, "1.0.0", []string{"v1.0", "v1", "latest"}},
		{"newer minor", []string{"1.0.0"}, "1.1.0", []string{"v1.1", "v1", "latest"}},
		{"patch of older minor", []string{"1.0.0", "1.1.0"}, "1.0.1", []string{"v1.0"}},
		{"patch of older major", []string{"1.0.0", "2.0.0"}, "1.0.1", []string{"v1.0", "v1"}},
		{"older than everything", []string{"1.0.1", "1.1.0"}, "1.0.0", nil},
		{"prereleases do not block", []string{"1.0.0", "1.1.0-rc.1"}, "1.0.1", []string{"v1.0", "v1", "latest"}},
		{"re-release of highest", []string{"1.0.0", "1.1.0"}, "1.1.0", []string{"v1.1", "v1", "latest"}},
		{"new major", []string{"1.9.9"}, "2.0.0", []string{"v2.0", "v2", "latest"}},
		{"prerelease takes none", []string{"1.0.0"}, "2.0.0-rc.1", nil},
		{"prerelease of highest takes none", nil, "1.0.0-rc.1", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := ParseVersion(tc.version)
			if err != nil {
				t.Fatal(err)
			}
			var released []*semver.Version
			for _, r := range tc.released {
				released = append(released, semver.MustParse(r))
			}
			got, keptBy := decideFloating(v, "v", released)
			if len(got)+len(keptBy) != 3 && v.Prerelease() == "" {
				t.Errorf("decideFloating(%s) moves %v and keeps %v: want every floating tag decided", v, got, keptBy)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("released %v + %s moves %v, want %v", tc.released, tc.version, got, tc.want)
			}
		})
	}
}

func TestRecordTags(t *testing.T) {
	if got := rollbackNumber(rollbackRecordTag(12)); got != 12 {
		t.Errorf("rollbackNumber(rollbackRecordTag(12)) = %d, want 12", got)
	}
	for _, tag := range []string{"rollback_1", "rollback_x", "v1.2.3", "rollback_"} {
		if got := rollbackNumber(tag); got != 0 {
			t.Errorf("rollbackNumber(%q) = %d, want 0", tag, got)
		}
	}
}

func TestDeployCommand(t *testing.T) {
	got := DeployCommand("my-app", "localhost:5000/my-app@sha256:abc")
	want := "docker run -d --name my-app localhost:5000/my-app@sha256:abc"
	if got != want {
		t.Errorf("DeployCommand = %q, want %q", got, want)
	}
}
