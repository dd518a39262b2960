// Frames written by github.com/moby/spdystream (the SPDY library of
// k8s.io/apimachinery), for known-answer tests of our parser and header
// decompressor. Produced with a throwaway Go 1.19 program against the copy
// of spdystream vendored by kubernetes-sigs/cri-tools: one spdy.Framer
// wrote, in this order, on one connection,
//   SYN_STREAM id 1, headers {"streamType": "error"}          -> kSyn1
//   SYN_STREAM id 3, FIN, headers {"Multi": ["a", "bc"]}      -> kSyn3
//   DATA id 1, FIN, "hi"                                      -> kDataFin
// and a second, fresh Framer wrote SYN_REPLY id 1 with no headers
// (kReply), hex-encoding each frame's bytes.
#pragma once

namespace cri_dockerd::streaming::spdy::testvectors {

inline constexpr char kSpdystreamSyn1[] =
    "80030001000000290000000100000000000078f9e3c6a7c26260606004a7b392a2d4c4"
    "5c6851c29a0a0a6800000000ffff";
inline constexpr char kSpdystreamSyn3[] =
    "800300010100001e00000003000000000000824ab1e696e6946482b24122435232000000"
    "ffff";
inline constexpr char kSpdystreamDataFin[] = "00000001010000026869";
inline constexpr char kSpdystreamReply[] =
    "80030002000000140000000178f9e3c6a7c26260606000000000ffff";

}  // namespace cri_dockerd::streaming::spdy::testvectors
