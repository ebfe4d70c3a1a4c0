package pipeline

import (
	"context"
	"reflect"
	"testing"

	"dagger/immutable/checks"
)

func TestTestJobNames(t *testing.T) {
	var findings []checks.Finding
	var names []string
	for _, j := range testJobs(nil, &Build{}, &findings) {
		names = append(names, j.name)
	}
	if !reflect.DeepEqual(names, TestJobNames) {
		t.Errorf("test jobs %v, TestJobNames %v", names, TestJobNames)
	}
	if _, err := TestJob(context.Background(), nil, &Build{}, nil, "nope"); err == nil {
		t.Error(`TestJob("nope") gave no error`)
	}
}
