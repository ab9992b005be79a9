package source

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/scanner"
)

func TestReader(t *testing.T) {
	g := tokentest.New(11)
	a, b := g.Token("dt0c01"), g.Token("dt0s16")
	content := "first " + a.Text + "\nsecond\n" + b.Text + "\n"
	tests := []struct {
		name     string
		src      Reader
		wantPath string
	}{
		{"stdin", Reader{R: strings.NewReader(content)}, "-"},
		{"named", Reader{R: strings.NewReader(content), Name: "<paste>"}, "<paste>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			found, problems := dirScan(t, tt.src)
			if len(problems) != 0 {
				t.Errorf("problems = %v", problems)
			}
			if got, want := found[tt.wantPath], []string{a.ID, b.ID}; !slices.Equal(got, want) {
				t.Errorf("found %v, want %v at %q (all: %d paths)", got, want, tt.wantPath, len(found))
			}
		})
	}
}

func TestReaderCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	err := Reader{R: strings.NewReader("x")}.Items(ctx, func(scanner.Item, error) error {
		called = true
		return nil
	})
	if !errors.Is(err, context.Canceled) || called {
		t.Errorf("err = %v, yield called %v; want context.Canceled, not called", err, called)
	}
}

// TestReaderYieldError checks that the error yield returns is returned.
func TestReaderYieldError(t *testing.T) {
	stop := errors.New("stop")
	err := Reader{R: strings.NewReader("x")}.Items(context.Background(), func(scanner.Item, error) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("err = %v, want %v", err, stop)
	}
}
