// Package roster_test checks the repository's own artefacts: the Dockerfile
// and .dockerignore build the release binary the Action runs, and the
// workflows (the repository's and the examples') pin their actions, state
// their token permissions and follow the trust model that docs/setup.md's
// hub role trust policies describe. action.yml is checked with the Action, in
// internal/action.
package roster_test
