// Command netcheck is a static test helper run in an otherwise empty
// container: it resolves a host through the engine's DNS and opens a TCP
// connection to it, proving the CNI network, DNS and egress work.
package main

import (
	"fmt"
	"net"
	"os"
	"time"
)

func main() {
	host := "registry.npmjs.org"
	if len(os.Args) > 1 {
		host = os.Args[1]
	}
	addrs, err := net.LookupHost(host)
	if err != nil {
		fmt.Println("lookup:", err)
		os.Exit(1)
	}
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(host, "443"), 10*time.Second)
	if err != nil {
		fmt.Println("dial:", err)
		os.Exit(1)
	}
	conn.Close()
	fmt.Printf("reached %s (%d addresses)\n", host, len(addrs))
}
