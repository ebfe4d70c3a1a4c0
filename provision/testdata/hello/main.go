// Command hello is a static test helper: the e2e test copies it into an
// otherwise empty container root and runs it there.
package main

import "fmt"

func main() { fmt.Println("hello from a scratch container") }
