using System;
using System.IO;
using System.Security.Cryptography;

namespace RenderNet.Client
{
    /// <summary>
    /// A scene to render, as glTF 2.0 binary (.glb) bytes. The service receives it once, by content hash: a scene it
    /// already has is not uploaded again.
    /// </summary>
    public sealed class RenderScene
    {
        RenderScene(string name, byte[] glb)
        {
            Name = name;
            Glb = glb;
            using var sha = SHA256.Create();
            Sha256 = Hex(sha.ComputeHash(glb));
        }

        /// <summary>A name for messages (the file name).</summary>
        public string Name { get; }
        /// <summary>SHA-256 of the .glb bytes, lower-case hex: the scene's address on the service and the nodes.</summary>
        public string Sha256 { get; }
        internal byte[] Glb { get; }

        /// <summary>Reads a .glb file (export .gltf scenes with external files as .glb first).</summary>
        /// <exception cref="InvalidSceneException">The file is missing or is not a .glb.</exception>
        public static RenderScene FromFile(string path)
        {
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(path);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is ArgumentException)
            {
                throw InvalidSceneException.Single($"{path}: {ex.Message}", ex);
            }
            if (bytes.Length < 12 || bytes[0] != (byte)'g' || bytes[1] != (byte)'l' || bytes[2] != (byte)'T' || bytes[3] != (byte)'F')
                throw InvalidSceneException.Single($"{path}: not a binary glTF (.glb) file; export the scene as .glb (one file with its buffers and images)");
            return new RenderScene(Path.GetFileName(path), bytes);
        }

        /// <summary>A scene from .glb bytes (checked by the service when the request is validated).</summary>
        public static RenderScene FromGlb(byte[] glb, string name = "scene.glb")
        {
            if (glb is null) throw new ArgumentNullException(nameof(glb));
            return new RenderScene(name, (byte[])glb.Clone());
        }

        /// <summary>RenderNet's sample scene: a Cornell-box room with an emissive ceiling panel, a block and a metal sphere.</summary>
        public static RenderScene Sample()
        {
            using var stream = typeof(RenderScene).Assembly.GetManifestResourceStream("RenderNet.Client.cornell-box.glb")
                               ?? throw new InvalidOperationException("the sample scene is missing from RenderNet.Client");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return new RenderScene("cornell-box.glb", copy.ToArray());
        }

        internal static string Hex(byte[] bytes)
        {
            var chars = new char[bytes.Length * 2];
            const string digits = "0123456789abcdef";
            for (int i = 0; i < bytes.Length; i++)
            {
                chars[2 * i] = digits[bytes[i] >> 4];
                chars[2 * i + 1] = digits[bytes[i] & 15];
            }
            return new string(chars);
        }
    }
}
