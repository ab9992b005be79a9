package history

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/gittest"
)

// TestPackProblemsDeterministic (issue 11, item 22): a pack with 200
// damaged objects gets the same problems, naming the same objects in the
// same order, whatever the number of workers and from run to run.
func TestPackProblemsDeterministic(t *testing.T) {
	g := gittest.New(t)
	rng := rand.New(rand.NewPCG(22, 22))
	for i := range 240 {
		var b strings.Builder
		for range 40 {
			fmt.Fprintf(&b, "%x\n", rng.Uint64())
		}
		g.Write(fmt.Sprintf("f%03d.txt", i), b.String())
	}
	g.Commit("files")
	g.Git("repack", "-q", "-a", "-d", "--window=0")
	idx, _ := filepath.Glob(filepath.Join(g.Dir, ".git/objects/pack/*.idx"))
	if len(idx) != 1 {
		t.Fatalf("packs: %v", idx)
	}
	pack := strings.TrimSuffix(idx[0], ".idx") + ".pack"
	// Damage the middle of the zlib data of 200 blobs.
	f, err := os.OpenFile(pack, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	damaged := 0
	for _, line := range strings.Split(g.Git("verify-pack", "-v", idx[0]), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 5 || fields[1] != "blob" || damaged == 200 {
			continue
		}
		size, _ := strconv.ParseInt(fields[3], 10, 64)
		off, _ := strconv.ParseInt(fields[4], 10, 64)
		if _, err := f.WriteAt([]byte{0xff, 0x00, 0xff, 0x00}, off+size/2); err != nil {
			t.Fatal(err)
		}
		damaged++
	}
	f.Close()
	if damaged != 200 {
		t.Fatalf("damaged %d blobs", damaged)
	}
	var first []string
	for run, jobs := range []int{1, 4, 2, 4, 1} {
		res := scan(t, &Source{Path: g.Dir, Jobs: jobs})
		var got []string
		for _, p := range res.Problems {
			got = append(got, p.Error())
		}
		if len(got) < problemsPerPack {
			t.Fatalf("jobs %d: %d problems: %q", jobs, len(got), got)
		}
		if run == 0 {
			first = got
			continue
		}
		if !reflect.DeepEqual(got, first) {
			t.Errorf("jobs %d: problems differ from jobs 1:\n%q\n%q", jobs, got, first)
		}
	}
}
