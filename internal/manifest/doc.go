// Package manifest loads and validates the access/ tree (roster.yaml,
// environment.yaml and manifest files) into the desired state of every
// environment. It reports every problem at once, each with file, line and
// column, and never touches AWS.
package manifest
