namespace RenderNet.Core.Media;

/// <summary>The luma/chroma matrix of Y'CbCr video.</summary>
public enum YuvMatrix { Bt601, Bt709 }

/// <summary>Limited ("tv": Y 16–235, C 16–240) or full ("pc": 0–255) 8-bit code range.</summary>
public enum YuvRange { Limited, Full }

/// <summary>
/// A Y'CbCr colour space and the exact integer arithmetic the transcode kernels use for it. Every constant is computed
/// here, once, in double precision and rounded to an integer, so the GPU kernels do only integer adds, multiplies and
/// arithmetic shifts: lavapipe and every GPU produce the same bytes.
/// RGB in the kernels is 12-bit: 8-bit code values × 16 (0–4080), so conversions and the resampler keep 4 extra bits.
/// </summary>
public readonly record struct YuvColorSpace(YuvMatrix Matrix, YuvRange Range)
{
    public const int RgbScale = 4080; // 255 × 16
    /// <summary>Fraction bits of the YUV→RGB coefficients (12 keeps the kernel's products inside 32 bits).</summary>
    public const int DecodeShift = 12;
    /// <summary>Fraction bits of the RGB→YUV coefficients.</summary>
    public const int EncodeShift = 20;

    /// <summary>What new renditions are written in (and tagged as).</summary>
    public static YuvColorSpace Delivery { get; } = new(YuvMatrix.Bt709, YuvRange.Limited);

    (double Kr, double Kb) Weights => Matrix == YuvMatrix.Bt709 ? (0.2126, 0.0722) : (0.299, 0.114);
    int LumaOffset => Range == YuvRange.Limited ? 16 : 0;
    int LumaSpan => Range == YuvRange.Limited ? 219 : 255;
    int ChromaSpan => Range == YuvRange.Limited ? 224 : 255;

    /// <summary>
    /// The stream's colour space from ffprobe's color_space / color_range / pix_fmt. Unspecified matrices follow what
    /// players assume: BT.709 from 720 lines up, BT.601 below; yuvj* formats are full range.
    /// </summary>
    public static YuvColorSpace FromStream(string? colorSpace, string? colorRange, string? pixelFormat, int height)
    {
        var matrix = colorSpace switch
        {
            "bt709" => YuvMatrix.Bt709,
            "bt470bg" or "smpte170m" or "bt601" or "fcc" => YuvMatrix.Bt601,
            _ => height >= 720 ? YuvMatrix.Bt709 : YuvMatrix.Bt601,
        };
        var range = colorRange == "pc" || colorRange == "jpeg" || (pixelFormat?.StartsWith("yuvj", StringComparison.Ordinal) ?? false)
            ? YuvRange.Full : YuvRange.Limited;
        return new YuvColorSpace(matrix, range);
    }

    /// <summary>ffmpeg's names for the matrix (-colorspace) and range (-color_range).</summary>
    public string FfmpegMatrix => Matrix == YuvMatrix.Bt709 ? "bt709" : "smpte170m";
    public string FfmpegRange => Range == YuvRange.Limited ? "tv" : "pc";

    /// <summary>
    /// YUV→RGB12 with luma and (upsampled) chroma at 1/16-code precision: R = (Cy·16(Y−Yo) + Crv·16(V−128) + 2^15) ≫ 16,
    /// G = (Cy·16(Y−Yo) + Cgu·16(U−128) + Cgv·16(V−128) + 2^15) ≫ 16, B = (Cy·16(Y−Yo) + Cbu·16(U−128) + 2^15) ≫ 16.
    /// </summary>
    public DecodeCoefficients Decode
    {
        get
        {
            var (kr, kb) = Weights;
            double kg = 1 - kr - kb, one = 1 << DecodeShift, c = RgbScale / (double)ChromaSpan;
            return new DecodeCoefficients(
                LumaOffset,
                (int)Math.Round(RgbScale / (double)LumaSpan * one),
                (int)Math.Round(2 * (1 - kr) * c * one),
                (int)Math.Round(-2 * (1 - kb) * kb / kg * c * one),
                (int)Math.Round(-2 * (1 - kr) * kr / kg * c * one),
                (int)Math.Round(2 * (1 - kb) * c * one));
        }
    }

    /// <summary>
    /// RGB12→YUV: Y = Yo + (Yr·R + Yg·G + Yb·B + 2^19) ≫ 20 and likewise U, V around 128. The rows are rounded so that
    /// white gives exactly the top luma code and every grey gives chroma 128.
    /// </summary>
    public EncodeCoefficients Encode
    {
        get
        {
            var (kr, kb) = Weights;
            double kg = 1 - kr - kb, one = 1 << EncodeShift;
            double ys = LumaSpan / (double)RgbScale * one, cs = ChromaSpan / (double)RgbScale * one;
            int yr = (int)Math.Round(kr * ys), yb = (int)Math.Round(kb * ys), yg = (int)Math.Round(ys) - yr - yb;
            int ur = (int)Math.Round(-kr / (2 * (1 - kb)) * cs), ub = (int)Math.Round(0.5 * cs), ug = -ur - ub;
            int vb = (int)Math.Round(-kb / (2 * (1 - kr)) * cs), vr = (int)Math.Round(0.5 * cs), vg = -vr - vb;
            return new EncodeCoefficients(LumaOffset, yr, yg, yb, ur, ug, ub, vr, vg, vb);
        }
    }

    public override string ToString() => $"{(Matrix == YuvMatrix.Bt709 ? "BT.709" : "BT.601")} {(Range == YuvRange.Limited ? "limited" : "full")}";
}

public readonly record struct DecodeCoefficients(int LumaOffset, int Cy, int Crv, int Cgu, int Cgv, int Cbu);

public readonly record struct EncodeCoefficients(int LumaOffset, int Yr, int Yg, int Yb, int Ur, int Ug, int Ub, int Vr, int Vg, int Vb);
