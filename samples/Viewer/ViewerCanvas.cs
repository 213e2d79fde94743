using Silk.NET.OpenGL;

namespace RenderNet.Viewer;

/// <summary>
/// What the window shows, in OpenGL: the image (linear RGBA32F, shown as sRGB) at one texel per pixel, an overlay of
/// tile borders in the colours of the nodes that rendered them, and a progress bar along the bottom edge. Images are
/// top-row-first, as the client's tiles are, so a tile's rectangle is its texture region unchanged.
/// </summary>
sealed class ViewerCanvas : IDisposable
{
    const string VertexShader = """
        #version 330 core
        out vec2 uv;
        void main() {
            // A full-screen triangle pair from the vertex index: no vertex buffers.
            vec2 corner = vec2((gl_VertexID & 1) != 0 ? 1.0 : 0.0, (gl_VertexID & 2) != 0 ? 1.0 : 0.0);
            uv = vec2(corner.x, 1.0 - corner.y); // texture row 0 is the image's top row
            gl_Position = vec4(corner * 2.0 - 1.0, 0.0, 1.0);
        }
        """;

    const string FragmentShader = """
        #version 330 core
        in vec2 uv;
        out vec4 color;
        uniform sampler2D image;
        uniform sampler2D overlay;
        uniform int showOverlay;
        uniform float progress;
        uniform vec2 size;
        vec3 srgb(vec3 c) {
            c = clamp(c, 0.0, 1.0);
            return mix(c * 12.92, 1.055 * pow(c, vec3(1.0 / 2.4)) - 0.055, step(vec3(0.0031308), c));
        }
        void main() {
            vec3 c = srgb(texture(image, uv).rgb);
            if (showOverlay != 0) {
                vec4 o = texture(overlay, uv);
                c = mix(c, o.rgb, o.a);
            }
            vec2 pixel = uv * size; // y from the top
            if (progress > 0.0 && pixel.y > size.y - 4.0 && pixel.x < progress * size.x) c = vec3(0.2, 0.75, 1.0);
            color = vec4(c, 1.0);
        }
        """;

    readonly GL gl;
    readonly uint program, vao, imageTexture, overlayTexture;
    readonly int showOverlayLocation, progressLocation, sizeLocation;

    public ViewerCanvas(GL gl, int width, int height)
    {
        this.gl = gl;
        Width = width;
        Height = height;
        program = Link(Compile(ShaderType.VertexShader, VertexShader), Compile(ShaderType.FragmentShader, FragmentShader));
        vao = gl.GenVertexArray();
        imageTexture = CreateTexture(InternalFormat.Rgba32f, PixelType.Float, new float[width * height * 4]);
        overlayTexture = CreateTexture(InternalFormat.Rgba8, PixelType.UnsignedByte, new byte[width * height * 4]);
        gl.UseProgram(program);
        gl.Uniform1(gl.GetUniformLocation(program, "image"), 0);
        gl.Uniform1(gl.GetUniformLocation(program, "overlay"), 1);
        showOverlayLocation = gl.GetUniformLocation(program, "showOverlay");
        progressLocation = gl.GetUniformLocation(program, "progress");
        sizeLocation = gl.GetUniformLocation(program, "size");
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>Replaces a region of the image (linear RGBA32F, top row first).</summary>
    public void UploadImage(int x, int y, int width, int height, ReadOnlySpan<float> pixels) =>
        Upload(imageTexture, x, y, width, height, PixelType.Float, pixels);

    /// <summary>Replaces a region of the overlay (RGBA8 straight alpha, top row first).</summary>
    public void UploadOverlay(int x, int y, int width, int height, ReadOnlySpan<byte> pixels) =>
        Upload(overlayTexture, x, y, width, height, PixelType.UnsignedByte, pixels);

    void Upload<T>(uint texture, int x, int y, int width, int height, PixelType type, ReadOnlySpan<T> pixels) where T : unmanaged
    {
        gl.BindTexture(TextureTarget.Texture2D, texture);
        gl.PixelStore(PixelStoreParameter.UnpackAlignment, 1);
        gl.TexSubImage2D(TextureTarget.Texture2D, 0, x, y, (uint)width, (uint)height, PixelFormat.Rgba, type, pixels);
    }

    public void Draw(int framebufferWidth, int framebufferHeight, bool showOverlay, float progress)
    {
        gl.Viewport(0, 0, (uint)framebufferWidth, (uint)framebufferHeight);
        gl.ClearColor(0, 0, 0, 1);
        gl.Clear(ClearBufferMask.ColorBufferBit);
        gl.UseProgram(program);
        gl.Uniform1(showOverlayLocation, showOverlay ? 1 : 0);
        gl.Uniform1(progressLocation, progress);
        gl.Uniform2(sizeLocation, (float)Width, (float)Height);
        gl.ActiveTexture(TextureUnit.Texture0);
        gl.BindTexture(TextureTarget.Texture2D, imageTexture);
        gl.ActiveTexture(TextureUnit.Texture1);
        gl.BindTexture(TextureTarget.Texture2D, overlayTexture);
        gl.BindVertexArray(vao);
        gl.DrawArrays(PrimitiveType.TriangleStrip, 0, 4);
    }

    /// <summary>The back buffer as RGBA8, top row first (GL reads bottom-up).</summary>
    public byte[] ReadBackBuffer(int width, int height)
    {
        var pixels = new byte[width * height * 4];
        gl.PixelStore(PixelStoreParameter.PackAlignment, 1);
        gl.ReadBuffer(ReadBufferMode.Back);
        gl.ReadPixels(0, 0, (uint)width, (uint)height, PixelFormat.Rgba, PixelType.UnsignedByte, pixels.AsSpan());
        var flipped = new byte[pixels.Length];
        for (int row = 0; row < height; row++)
            pixels.AsSpan(row * width * 4, width * 4).CopyTo(flipped.AsSpan((height - 1 - row) * width * 4));
        return flipped;
    }

    uint CreateTexture<T>(InternalFormat format, PixelType type, T[] zeros) where T : unmanaged
    {
        uint texture = gl.GenTexture();
        gl.BindTexture(TextureTarget.Texture2D, texture);
        // One texel per pixel: nearest sampling shows the rendered pixels exactly.
        gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureMinFilter, (int)TextureMinFilter.Nearest);
        gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureMagFilter, (int)TextureMagFilter.Nearest);
        gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureWrapS, (int)TextureWrapMode.ClampToEdge);
        gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureWrapT, (int)TextureWrapMode.ClampToEdge);
        gl.PixelStore(PixelStoreParameter.UnpackAlignment, 1);
        gl.TexImage2D(TextureTarget.Texture2D, 0, format, (uint)Width, (uint)Height, 0, PixelFormat.Rgba, type, (ReadOnlySpan<T>)zeros);
        return texture;
    }

    uint Compile(ShaderType type, string source)
    {
        uint shader = gl.CreateShader(type);
        gl.ShaderSource(shader, source);
        gl.CompileShader(shader);
        gl.GetShader(shader, ShaderParameterName.CompileStatus, out int ok);
        if (ok == 0) throw new InvalidOperationException($"the viewer's {type} did not compile: {gl.GetShaderInfoLog(shader)}");
        return shader;
    }

    uint Link(uint vertex, uint fragment)
    {
        uint linked = gl.CreateProgram();
        gl.AttachShader(linked, vertex);
        gl.AttachShader(linked, fragment);
        gl.LinkProgram(linked);
        gl.GetProgram(linked, ProgramPropertyARB.LinkStatus, out int ok);
        if (ok == 0) throw new InvalidOperationException($"the viewer's shaders did not link: {gl.GetProgramInfoLog(linked)}");
        gl.DeleteShader(vertex);
        gl.DeleteShader(fragment);
        return linked;
    }

    public void Dispose()
    {
        gl.DeleteTexture(imageTexture);
        gl.DeleteTexture(overlayTexture);
        gl.DeleteVertexArray(vao);
        gl.DeleteProgram(program);
    }
}
