using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Trace.Kernels;

/// <summary>
/// Packing of A and B blocks into the contiguous micro-panel layouts read by the micro-kernels.
/// Sources are addressed by arbitrary (row, column) element strides; unit-stride layouts take
/// vectorized fast paths (straight vector copies, or 8×8 / 4×4 AVX register transposes).
/// </summary>
internal static unsafe class GemmPack
{
    /// <summary>
    /// Packs the mc×kc block of A whose element (i, p) is a[i*rs + p*cs] into MR-row panels:
    /// panel q holds rows q*MR.. at ap[q*MR*kc + p*MR + r]. Rows past the end of the last (partial)
    /// panel are left unwritten; the row-specialized micro-kernels never read them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA<T>(int mc, int kc, T* a, nint rs, nint cs, T* ap, int mr) where T : unmanaged
    {
        if (rs == 1 && cs != 1)
        {
            Runs(mc, kc, a, cs, ap, mr, pad: false);
            return;
        }

        for (int i0 = 0; i0 < mc; i0 += mr)
        {
            int rows = Math.Min(mr, mc - i0);
            T* src = a + i0 * rs;
            T* dst = ap + (nint)i0 * kc;
            if (cs == 1) Transposed(rows, kc, src, rs, dst, mr);
            else General(rows, kc, src, rs, cs, dst, mr);
        }
    }

    /// <summary>
    /// Packs the kc×nc block of B whose element (p, j) is b[p*rs + j*cs] into NR-column panels:
    /// panel q holds columns q*NR.. at bp[q*NR*kc + p*NR + j], zero-padded to NR columns.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB<T>(int kc, int nc, T* b, nint rs, nint cs, T* bp, int nr) where T : unmanaged
    {
        if (cs == 1)
        {
            Runs(nc, kc, b, rs, bp, nr, pad: true);
            return;
        }

        for (int j0 = 0; j0 < nc; j0 += nr)
        {
            int cols = Math.Min(nr, nc - j0);
            T* src = b + j0 * cs;
            T* dst = bp + (nint)j0 * kc;
            if (cols < nr) Zero(dst, kc * nr); // padding columns must read as zero
            if (rs == 1) Transposed(cols, kc, src, cs, dst, nr);
            else General(cols, kc, src, cs, rs, dst, nr);
        }
    }

    /// <summary>
    /// Packs a block whose rows p are contiguous runs of <paramref name="count"/> elements (src[p*pStride + r])
    /// into width-w panels (dst[(r/w)*w*kc + p*w + r%w]), reading each source row front to back.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Runs<T>(int count, int kc, T* src, nint pStride, T* dst, int w, bool pad) where T : unmanaged
    {
        if (pad && count >= ManyPanels * w)
        {
            PanelRuns(count, kc, src, pStride, dst, w);
            return;
        }

        int full = count / w * w;
        for (int p = 0; p < kc; p++)
        {
            T* s = src + p * pStride;
            T* d = dst + (nint)p * w;
            for (int r = 0; r < full; r += w) CopyRun(s + r, d + (nint)r * kc, w);
            if (full < count) Tail(s + full, d + (nint)full * kc, count - full, w, pad);
        }
    }

    /// <summary>
    /// <see cref="Runs"/> into many zero-padded B panels: <see cref="RunRows"/> source rows at a time, each panel's share
    /// written as one sequential piece, rather than every row scattering into all the panels (so many write streams made
    /// a 28×1024×256 product with row-major B take 115 µs instead of 81 µs on one core).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PanelRuns<T>(int count, int kc, T* src, nint pStride, T* dst, int w) where T : unmanaged
    {
        int full = count / w * w;
        for (int p0 = 0; p0 < kc; p0 += RunRows)
        {
            int p1 = Math.Min(kc, p0 + RunRows);
            for (int r = 0; r < full; r += w)
            {
                T* d = dst + (nint)r * kc;
                for (int p = p0; p < p1; p++) CopyRun(src + p * pStride + r, d + (nint)p * w, w);
            }

            if (full < count)
            {
                for (int p = p0; p < p1; p++) Tail(src + p * pStride + full, dst + (nint)full * kc + (nint)p * w, count - full, w, pad: true);
            }
        }
    }

    /// <summary>The last, partial panel's share of one source row: <paramref name="rest"/> elements, zero-padded to w when <paramref name="pad"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tail<T>(T* s, T* d, int rest, int w, bool pad) where T : unmanaged
    {
        if (pad) Zero(d, w);
        for (int r = 0; r < rest; r++) d[r] = s[r];
    }

    /// <summary>Source rows per pass of <see cref="PanelRuns"/>.</summary>
    private const int RunRows = 8;

    /// <summary>From this many B panels on, <see cref="Runs"/> writes panel by panel (<see cref="PanelRuns"/>).</summary>
    private const int ManyPanels = 16;

    /// <summary>Zeroes w elements (w a multiple of the Vector256 length when accelerated).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Zero<T>(T* d, int w) where T : unmanaged
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + Vector256<T>.Count <= w; i += Vector256<T>.Count) Vector256.Store(Vector256<T>.Zero, d + i);
        }

        for (; i < w; i++) d[i] = default;
    }

    /// <summary>Copies w contiguous elements (w at least one Vector256, or any w without acceleration).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRun<T>(T* s, T* d, int w) where T : unmanaged
    {
        int vl = Vector256<T>.Count;
        if (!Vector256.IsHardwareAccelerated || w < vl)
        {
            for (int r = 0; r < w; r++) d[r] = s[r];
            return;
        }

        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 2 * vl <= w; i += 2 * vl) Vector512.Store(Vector512.Load(s + i), d + i);
        }

        for (; i + vl <= w; i += vl) Vector256.Store(Vector256.Load(s + i), d + i);
        if (i < w) Vector256.Store(Vector256.Load(s + w - vl), d + w - vl); // overlapping tail
    }

    /// <summary>dst[p*dstStride + r] = src[r*rStride + p*pStride] for r &lt; count, p &lt; kc.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void General<T>(int count, int kc, T* src, nint rStride, nint pStride, T* dst, int dstStride) where T : unmanaged
    {
        for (int p = 0; p < kc; p++)
        {
            T* s = src + p * pStride;
            T* d = dst + (nint)p * dstStride;
            for (int r = 0; r < count; r++) d[r] = s[r * rStride];
        }
    }

    /// <summary>
    /// dst[p*dstStride + r] = src[r*rStride + p]: count rows, each contiguous along p, are interleaved
    /// with register transposes (AVX-512, else AVX); leftover p use the scalar path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transposed<T>(int count, int kc, T* src, nint rStride, T* dst, int dstStride) where T : unmanaged
    {
        int p = 0;
        if (GemmTranspose.IsSupported && (typeof(T) == typeof(float) || typeof(T) == typeof(double)))
        {
            // AVX-512: blocks of 16 (float) / 8 (double) rows × one 64-byte line along p; partial row
            // blocks use masked stores.
            int g = Vector512<T>.Count;
            for (; p + g <= kc; p += g)
            {
                for (int r0 = 0; r0 < count; r0 += g)
                {
                    int rows = Math.Min(g, count - r0);
                    T* s = src + r0 * rStride + p;
                    T* d = dst + (nint)p * dstStride + r0;
                    if (typeof(T) == typeof(float)) GemmTranspose.Block16((float*)s, rStride, rows, (float*)d, dstStride);
                    else GemmTranspose.Block8((double*)s, rStride, rows, (double*)d, dstStride);
                }
            }

            if (p < kc)
            {
                for (int r0 = 0; r0 < count; r0 += g)
                {
                    int rows = Math.Min(g, count - r0);
                    T* s = src + r0 * rStride + p;
                    T* d = dst + (nint)p * dstStride + r0;
                    if (typeof(T) == typeof(float)) GemmTranspose.Block16((float*)s, rStride, rows, (float*)d, dstStride, kc - p);
                    else GemmTranspose.Block8((double*)s, rStride, rows, (double*)d, dstStride, kc - p);
                }

                return;
            }
        }
        else if (Avx.IsSupported && count >= Vector256<T>.Count && (typeof(T) == typeof(float) || typeof(T) == typeof(double)))
        {
            // AVX: 8×8 (float) / 4×4 (double) blocks, two along p so a whole 64-byte line of each source
            // row is consumed at once (rows whose lines alias in L1 are not re-fetched); a last row group
            // that does not fit is shifted back to overlap the previous one (rewriting identical values).
            int g = Vector256<T>.Count;
            for (; p + 2 * g <= kc; p += 2 * g)
            {
                for (int r0 = 0; r0 < count; r0 += g)
                {
                    int r = Math.Min(r0, count - g);
                    T* s = src + r * rStride + p;
                    T* d = dst + (nint)p * dstStride + r;
                    if (typeof(T) == typeof(float))
                    {
                        Transpose8x8((float*)s, rStride, (float*)d, dstStride);
                        Transpose8x8((float*)s + g, rStride, (float*)d + g * dstStride, dstStride);
                    }
                    else
                    {
                        Transpose4x4((double*)s, rStride, (double*)d, dstStride);
                        Transpose4x4((double*)s + g, rStride, (double*)d + g * dstStride, dstStride);
                    }
                }
            }
        }

        if (p < kc) General(count, kc - p, src + p, rStride, 1, dst + (nint)p * dstStride, dstStride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* s, nint ss, float* d, nint ds)
    {
        Vector256<float> r0 = Avx.LoadVector256(s), r1 = Avx.LoadVector256(s + ss);
        Vector256<float> r2 = Avx.LoadVector256(s + 2 * ss), r3 = Avx.LoadVector256(s + 3 * ss);
        Vector256<float> r4 = Avx.LoadVector256(s + 4 * ss), r5 = Avx.LoadVector256(s + 5 * ss);
        Vector256<float> r6 = Avx.LoadVector256(s + 6 * ss), r7 = Avx.LoadVector256(s + 7 * ss);

        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);

        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);

        Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(d + ds, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(d + 2 * ds, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(d + 3 * ds, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(d + 4 * ds, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(d + 5 * ds, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(d + 6 * ds, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(d + 7 * ds, Avx.Permute2x128(u3, u7, 0x31));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x4(double* s, nint ss, double* d, nint ds)
    {
        Vector256<double> r0 = Avx.LoadVector256(s), r1 = Avx.LoadVector256(s + ss);
        Vector256<double> r2 = Avx.LoadVector256(s + 2 * ss), r3 = Avx.LoadVector256(s + 3 * ss);
        Vector256<double> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<double> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Avx.Store(d, Avx.Permute2x128(t0, t2, 0x20));
        Avx.Store(d + ds, Avx.Permute2x128(t1, t3, 0x20));
        Avx.Store(d + 2 * ds, Avx.Permute2x128(t0, t2, 0x31));
        Avx.Store(d + 3 * ds, Avx.Permute2x128(t1, t3, 0x31));
    }
}
