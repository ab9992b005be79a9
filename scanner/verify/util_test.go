package verify_test

import "os"

func readFile(name string) ([]byte, error)  { return os.ReadFile(name) }
func writeFile(name string, b []byte) error { return os.WriteFile(name, b, 0o600) }
