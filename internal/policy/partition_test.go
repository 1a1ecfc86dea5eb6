package policy_test

import (
	"testing"

	"github.com/roster-dev/roster/internal/policy"
)

// TestPartitions: an ARN's partition, and the partition of a region, as
// AWS names them.
func TestPartitions(t *testing.T) {
	t.Parallel()
	arns := []struct{ arn, want string }{
		{"arn:aws:iam::111122223333:role/roster-apply", "aws"},
		{"arn:aws-cn:iam::aws:policy/ReadOnlyAccess", "aws-cn"},
		{"arn:aws-us-gov:iam::111122223333:role/x", "aws-us-gov"},
		{"ReadOnlyAccess", ""},
		{"arn:aws", ""},
	}
	for _, tt := range arns {
		if got := policy.PartitionOf(tt.arn); got != tt.want {
			t.Errorf("PartitionOf(%q) = %q, want %q", tt.arn, got, tt.want)
		}
	}
	regions := []struct{ region, want string }{
		{"us-east-1", "aws"},
		{"eu-central-2", "aws"},
		{"cn-north-1", "aws-cn"},
		{"cn-northwest-1", "aws-cn"},
		{"us-gov-west-1", "aws-us-gov"},
		{"us-gov-east-1", "aws-us-gov"},
	}
	for _, tt := range regions {
		if got := policy.RegionPartition(tt.region); got != tt.want {
			t.Errorf("RegionPartition(%q) = %q, want %q", tt.region, got, tt.want)
		}
		if got := policy.RegionPartition(policy.RegionOf(tt.want)); got != tt.want {
			t.Errorf("RegionOf(%q) = %q, in partition %q", tt.want, policy.RegionOf(tt.want), got)
		}
	}
}
