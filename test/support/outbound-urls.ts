/**
 * Outbound URLs no policy may allow: cloud metadata and link-local
 * addresses in every spelling that reaches them (IPv4 inside IPv6, NAT64,
 * 6to4, numeric and octal IPv4, a trailing dot) and the unspecified
 * addresses. The unit tests check the address policy with them, the
 * integration tests the endpoints that save URLs.
 */
export const ALWAYS_REFUSED_URLS = [
  "https://[::ffff:169.254.169.254]/",
  "https://[::ffff:a9fe:a9fe]/",
  "https://[64:ff9b::a9fe:a9fe]/",
  "https://[::a9fe:a9fe]/",
  "https://[2002:a9fe:a9fe::]/",
  "https://2852039166/latest/meta-data",
  "https://0xa9.0xfe.0xa9.0xfe/",
  "https://0251.0376.0251.0376/",
  "https://169.254.169.254./",
  "https://169.254.169.254/latest/meta-data",
  "https://[fe80::1]/",
  "https://[fd00:ec2::254]/",
  "https://0.0.0.0/",
  "https://[::]/",
];
