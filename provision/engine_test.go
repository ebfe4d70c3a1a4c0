package provision

import "testing"

func TestEngineWantTracksEngineEnv(t *testing.T) {
	a := Config{Home: "/h", EngineEnv: map[string]string{"DAGGER_GO_SDK_MANIFEST_DIGEST": "sha256:aa"}}
	b := Config{Home: "/h", EngineEnv: map[string]string{"DAGGER_GO_SDK_MANIFEST_DIGEST": "sha256:bb"}}
	if a.engineWant(a.engineDaemon()) == b.engineWant(b.engineDaemon()) {
		t.Error("engineWant is the same for different EngineEnv; a changed digest would not restart the engine")
	}
}
