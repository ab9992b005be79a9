package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dtleaks/dtleaks/internal/tokentest"
)

// TestStressMutatingTree scans a tree again and again while another
// goroutine keeps creating, growing, truncating, renaming and deleting files
// in it, beside and among files it never touches. Every run must end (no
// deadlock), exit 1 or 2 only (2 when a file vanished between listing and
// reading, which is reported), never crash, find every untouched token at
// its place, and report problems only for the files that were changing.
func TestStressMutatingTree(t *testing.T) {
	files := map[string]string{}
	for i := range 120 {
		files[fmt.Sprintf("d%d/keep%03d.txt", i%6, i)] = fmt.Sprintf("line\n  k={keep%d}\n", i)
	}
	dir, toks := tree(t, 700, files)
	var want []string
	for name := range files {
		i := 0
		fmt.Sscanf(name[strings.Index(name, "keep")+4:], "%d", &i)
		want = append(want, fmt.Sprintf("%s:2:5 %s", name, toks[fmt.Sprintf("keep%d", i)].ID))
	}

	churn := tokentest.New(701)
	churnToks := make([]tokentest.Token, 8)
	for i := range churnToks {
		churnToks[i] = churn.Token("dt0c01")
	}
	all := map[string]tokentest.Token{}
	for k, v := range toks {
		all[k] = v
	}
	for i, v := range churnToks {
		all[fmt.Sprint("churn", i)] = v
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		rnd := rand.New(rand.NewPCG(7, 7))
		for i := 0; i < 2_000_000; i++ { // bounded: stops by itself
			select {
			case <-stop:
				return
			default:
			}
			time.Sleep(100 * time.Microsecond) // leave the scan a core
			d := filepath.Join(dir, fmt.Sprintf("d%d", rnd.IntN(6)))
			name := filepath.Join(d, fmt.Sprintf("churn%02d.txt", rnd.IntN(20)))
			tok := churnToks[rnd.IntN(len(churnToks))].Text
			switch rnd.IntN(7) {
			case 0, 1:
				os.WriteFile(name, []byte(strings.Repeat("x", rnd.IntN(256<<10))+tok), 0o644)
			case 2:
				if f, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0); err == nil {
					f.Write(bytes.Repeat([]byte("y\n"+tok+"\n"), 1+rnd.IntN(1000)))
					f.Close()
				}
			case 3:
				os.Truncate(name, int64(rnd.IntN(200)))
			case 4:
				os.Remove(name)
			case 5:
				os.Rename(name, filepath.Join(d, fmt.Sprintf("churn%02d.txt", rnd.IntN(20))))
			case 6:
				sub := filepath.Join(d, fmt.Sprintf("sub%d", rnd.IntN(3)))
				if rnd.IntN(2) == 0 {
					os.MkdirAll(sub, 0o755)
					os.WriteFile(filepath.Join(sub, "c.txt"), []byte(tok), 0o644)
				} else {
					os.RemoveAll(sub)
				}
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	codes := map[int]int{}
	for run, jobs := range []string{"8", "1", "4", "2", "8"} {
		r := dtleaks(t, dir, "scan", "--format", "json", "--jobs", jobs, ".")
		noCrash(t, r)
		noLeak(t, r, all)
		codes[r.code]++
		if r.code == 2 && codes[2] == 1 {
			if _, leak := tokentest.Leak(r.stderr, churnToks...); !leak {
				t.Logf("problems reported, e.g.:\n%s", firstLines(r.stderr, 3))
			}
		}
		if r.code != 1 && r.code != 2 {
			t.Errorf("run %d (--jobs %s): exit %d; want 1, or 2 with problems", run, jobs, r.code)
		}
		got := map[string]bool{}
		for _, w := range where(decode(t, r)) {
			got[w] = true
		}
		for _, w := range want {
			if !got[w] {
				t.Errorf("run %d (--jobs %s): untouched finding %s missing", run, jobs, w)
			}
		}
		for _, l := range strings.Split(strings.TrimSpace(string(r.stderr)), "\n") {
			if strings.Contains(l, "keep") {
				t.Errorf("run %d: problem reported for an untouched file: %s", run, shownMap([]byte(l), all))
			}
		}
	}
	t.Logf("exit statuses: %v", codes)
}

func firstLines(b []byte, n int) string {
	ls := strings.SplitN(string(b), "\n", n+1)
	return strings.Join(ls[:min(n, len(ls))], "\n")
}
