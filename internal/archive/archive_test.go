package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

// The contents are plain words: what matters here is which member names
// are yielded with which bytes, not tokens (the scan's tests have those).

type file struct{ name, body string }

func zipOf(t *testing.T, files ...file) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range files {
		w, err := zw.Create(f.name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, f.body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func tarOf(t *testing.T, files ...file) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	tw.WriteHeader(&tar.Header{Name: "dir/", Typeflag: tar.TypeDir, Mode: 0o755})
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Size: int64(len(f.body)), Mode: 0o644, Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, f.body)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

type got struct {
	members  map[string]string
	problems map[string]error
}

func walk(t *testing.T, name string, b []byte, opts Options) got {
	t.Helper()
	g := got{members: map[string]string{}, problems: map[string]error{}}
	err := Walk(context.Background(), name, bytes.NewReader(b), int64(len(b)), opts, func(n string, r io.Reader, err error) error {
		if err != nil {
			g.problems[n] = err
			return nil
		}
		body, err := io.ReadAll(r)
		if err != nil {
			g.problems[n] = err
		}
		g.members[n] += string(body)
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	return g
}

func names(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestWalkMembers(t *testing.T) {
	inner := zipOf(t, file{"deep.env", "deep"})
	for _, tc := range []struct {
		name string
		data []byte
		want map[string]string
	}{
		{"bundle.zip", zipOf(t, file{"config/app.env", "one"}, file{"b.txt", "two"}),
			map[string]string{"bundle.zip!config/app.env": "one", "bundle.zip!b.txt": "two"}},
		{"app.JAR", zipOf(t, file{"META-INF/x.properties", "p"}), map[string]string{"app.JAR!META-INF/x.properties": "p"}},
		{"t.tar", tarOf(t, file{"dir/a.env", "a"}, file{"./b.env", "b"}),
			map[string]string{"t.tar!dir/a.env": "a", "t.tar!b.env": "b"}},
		{"t.tar.gz", gz(t, tarOf(t, file{"a.env", "a"})), map[string]string{"t.tar.gz!a.env": "a"}},
		{"t.tgz", gz(t, tarOf(t, file{"a.env", "a"})), map[string]string{"t.tgz!a.env": "a"}},
		{"app.env.gz", gz(t, []byte("plain")), map[string]string{"app.env.gz!app.env": "plain"}},
		{"dir/x.zip", zipOf(t, file{"in.zip", string(inner)}, file{"in.tar.gz", string(gz(t, tarOf(t, file{"t.env", "t"})))}),
			map[string]string{"dir/x.zip!in.zip!deep.env": "deep", "dir/x.zip!in.tar.gz!t.env": "t"}},
		{"x.tar", tarOf(t, file{"in.jar", string(inner)}), map[string]string{"x.tar!in.jar!deep.env": "deep"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := walk(t, tc.name, tc.data, Options{})
			if len(g.problems) > 0 {
				t.Errorf("problems: %v", g.problems)
			}
			if !maps(g.members, tc.want) {
				t.Errorf("members %v, want %v", names(g.members), names(tc.want))
			}
		})
	}
}

func maps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestWalkProblems(t *testing.T) {
	inner := zipOf(t, file{"deep.env", "deep"})
	thrice := zipOf(t, file{"l2.zip", string(zipOf(t, file{"l3.zip", string(inner)}))})
	bomb := zipOf(t, file{"a.txt", strings.Repeat("x", 1000)}, file{"b.txt", strings.Repeat("y", 1000)}, file{"c.txt", "z"})
	enc := encryptedZip(t)
	truncated := gz(t, tarOf(t, file{"a.env", strings.Repeat("a", 4096)}))
	truncated = truncated[:len(truncated)/2]
	for _, tc := range []struct {
		name      string
		data      []byte
		opts      Options
		problem   string // the name the problem is yielded for
		is        error  // what it is, when typed
		raw       bool   // bytes are still yielded under problem's name (those read before the error)
		noMembers []string
	}{
		{name: "bad.zip", data: []byte("not a zip at all"), problem: "bad.zip", raw: true},
		{name: "bad.tar.gz", data: []byte("not gzip"), problem: "bad.tar.gz", raw: true},
		{name: "bad.gz", data: []byte("not gzip"), problem: "bad.gz", raw: true},
		{name: "cut.tgz", data: truncated, problem: "cut.tgz", raw: true},
		{name: "enc.zip", data: enc, problem: "enc.zip!secret.env", is: ErrEncrypted},
		{name: "deep.zip", data: thrice, problem: "deep.zip!l2.zip!l3.zip", is: ErrTooDeep, raw: true, noMembers: []string{"deep.zip!l2.zip!l3.zip!deep.env"}},
		{name: "big.zip", data: zipOf(t, file{"in.zip", string(inner)}), problem: "big.zip!in.zip", opts: Options{MaxNestedZip: 10}, is: ErrNestedTooLarge},
		{name: "bomb.zip", data: bomb, problem: "bomb.zip!b.txt", opts: Options{MaxTotal: 1500}, is: ErrBudget, raw: true, noMembers: []string{"bomb.zip!c.txt"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := walk(t, tc.name, tc.data, tc.opts)
			err, ok := g.problems[tc.problem]
			if !ok {
				t.Fatalf("no problem for %s; problems %v", tc.problem, g.problems)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("problem %v, want %v", err, tc.is)
			}
			if _, ok := g.members[tc.problem]; ok != tc.raw {
				t.Errorf("bytes of %s yielded: %v, want %v", tc.problem, ok, tc.raw)
			}
			for _, n := range tc.noMembers {
				if _, ok := g.members[n]; ok {
					t.Errorf("%s yielded", n)
				}
			}
		})
	}
}

// encryptedZip is a zip whose one member has the encryption flag set, as
// a password-protected zip has.
func encryptedZip(t *testing.T) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "secret.env", Method: zip.Store, Flags: 0x1, CompressedSize64: 4, UncompressedSize64: 4})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("abcd"))
	zw.Close()
	return b.Bytes()
}

func TestWalkCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := zipOf(t, file{"a", "a"})
	err := Walk(ctx, "a.zip", bytes.NewReader(b), int64(len(b)), Options{}, func(string, io.Reader, error) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Walk = %v, want context.Canceled", err)
	}
}

func FuzzWalk(f *testing.F) {
	t := &testing.T{}
	f.Add("a.zip", zipOf(t, file{"x", "y"}, file{"in.zip", string(zipOf(t, file{"z", "z"}))}))
	f.Add("a.tar.gz", gz(t, tarOf(t, file{"x", "y"})))
	f.Add("a.gz", gz(t, []byte("y")))
	f.Add("a.tar", tarOf(t, file{"in.tgz", string(gz(t, tarOf(t, file{"x", "y"})))}))
	f.Fuzz(func(t *testing.T, name string, b []byte) {
		opts := Options{MaxDepth: 3, MaxTotal: 1 << 20, MaxNestedZip: 1 << 16}
		total := 0
		err := Walk(context.Background(), name, bytes.NewReader(b), int64(len(b)), opts, func(n string, r io.Reader, err error) error {
			if (r == nil) == (err == nil) {
				t.Fatalf("%q: reader %v with error %v", n, r != nil, err)
			}
			if r != nil {
				m, _ := io.Copy(io.Discard, r)
				total += int(m)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("Walk: %v", err)
		}
		if int64(total) > int64(len(b))+opts.MaxTotal+1 {
			t.Fatalf("read %d bytes: over the budget", total)
		}
	})
}
