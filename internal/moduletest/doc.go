// Package moduletest holds the end-to-end tests of the Dagger module as
// users meet it: the dagger CLI against the repository root and the
// consumer example. (They cannot live in the root package: its generated
// code needs a Dagger session to initialize.)
package moduletest
