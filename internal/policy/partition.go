package policy

import "strings"

// AWS partitions roster knows: each is a separate set of accounts, with
// its own ARNs and its own regions.
const (
	PartitionAWS   = "aws"
	PartitionChina = "aws-cn"
	PartitionGov   = "aws-us-gov"
)

// PartitionOf returns the partition of an ARN ("aws" for
// arn:aws:iam::aws:policy/ReadOnlyAccess), or "" for something that is no
// ARN.
func PartitionOf(arn string) string {
	rest, ok := strings.CutPrefix(arn, "arn:")
	if !ok {
		return ""
	}
	p, _, ok := strings.Cut(rest, ":")
	if !ok {
		return ""
	}
	return p
}

// RegionPartition returns the partition a region belongs to, from AWS's
// published naming: cn-* regions are aws-cn, us-gov-* regions aws-us-gov,
// every other commercial region aws.
func RegionPartition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return PartitionChina
	case strings.HasPrefix(region, "us-gov-"):
		return PartitionGov
	}
	return PartitionAWS
}

// RegionOf returns an example region of a partition, for hints.
func RegionOf(partition string) string {
	switch partition {
	case PartitionChina:
		return "cn-north-1"
	case PartitionGov:
		return "us-gov-west-1"
	}
	return "us-east-1"
}
