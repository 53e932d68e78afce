package dev.tessera.lang;

import static dev.tessera.lang.TL.*;

/**
 * Counter-based random numbers: Philox 4x32 with 10 rounds (Salmon et al., "Parallel random numbers:
 * as easy as 1, 2, 3", SC 2011), with the round and key constants of the paper, which Triton uses too,
 * so the same (seed, offset) gives the same numbers on every backend.
 */
final class Philox {
    private Philox() {}

    private static final long ROUND_A = 0xD2511F53L, ROUND_B = 0xCD9E8D57L;
    private static final long KEY_A = 0x9E3779B9L, KEY_B = 0xBB67AE85L;
    private static final int ROUNDS = 10;

    /** Four u32 tiles from a 64-bit seed and per-lane 32-bit counters. */
    static Tile[] randint4x(Tile seed, Tile offsets) {
        Tile s = seed.to(U64);
        Tile k0 = s.and(0xFFFFFFFFL).to(U32);
        Tile k1 = s.shr(32).to(U32);
        Tile c0 = offsets.dtype().bits() == 32 ? offsets.bitcast(U32) : offsets.to(U32);
        Tile zero = zerosLike(c0);
        Tile c1 = zero, c2 = zero, c3 = zero;
        for (int round = 0; round < ROUNDS; round++) { // unrolled at trace time
            Tile hiB = umulhi(c2, ROUND_B), hiA = umulhi(c0, ROUND_A);
            Tile n0 = hiB.xor(c1).xor(k0), n2 = hiA.xor(c3).xor(k1);
            Tile n1 = c2.mul(ROUND_B), n3 = c0.mul(ROUND_A);
            c0 = n0;
            c1 = n1;
            c2 = n2;
            c3 = n3;
            k0 = k0.add(KEY_A);
            k1 = k1.add(KEY_B);
        }
        return new Tile[] {c0, c1, c2, c3};
    }

    /** A u32 to a uniform f32 in [0, 1): the bits as i32, folded to non-negative, times 2^-31. */
    static Tile uniform(Tile bits) {
        Tile x = bits.bitcast(I32);
        x = where(x.lt(0), x.neg().sub(1), x);
        return x.to(F32).mul(4.6566127342e-10f);
    }

    static Tile normal(Tile seed, Tile offsets) {
        Tile[] r = randint4x(seed, offsets);
        Tile u1 = maximum(uniform(r[0]), 1.0e-7), u2 = uniform(r[1]);
        Tile radius = sqrt(log(u1).mul(-2.0));
        return radius.mul(cos(u2.mul(6.283185307179586)));
    }
}
