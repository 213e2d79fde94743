using System;
using System.IO;
using System.IO.Compression;
using System.Text;

namespace RenderNet.Client
{
    /// <summary>
    /// A minimal PNG writer (8-bit RGBA, no filtering): the client carries no imaging library, and an engine that wants
    /// better compression has its own encoder. Follows the PNG spec: signature, IHDR, one IDAT (zlib), IEND.
    /// </summary>
    static class PngEncoder
    {
        static readonly uint[] CrcTable = BuildCrcTable();

        public static void Write(Stream output, int width, int height, byte[] rgba)
        {
            output.Write(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 }, 0, 8);
            var header = new byte[13];
            WriteBigEndian(header, 0, (uint)width);
            WriteBigEndian(header, 4, (uint)height);
            header[8] = 8; // bit depth
            header[9] = 6; // colour type RGBA
            WriteChunk(output, "IHDR", header);
            WriteChunk(output, "IDAT", Compress(width, height, rgba));
            WriteChunk(output, "IEND", Array.Empty<byte>());
        }

        static byte[] Compress(int width, int height, byte[] rgba)
        {
            using var zlib = new MemoryStream();
            zlib.WriteByte(0x78);
            zlib.WriteByte(0x9C);
            uint a = 1, b = 0; // Adler-32 of the uncompressed scanlines
            using (var deflate = new DeflateStream(zlib, CompressionLevel.Fastest, leaveOpen: true))
            {
                int stride = width * 4;
                for (int y = 0; y < height; y++)
                {
                    deflate.WriteByte(0); // filter: none
                    b = (b + a) % 65521;
                    deflate.Write(rgba, y * stride, stride);
                    for (int i = y * stride; i < (y + 1) * stride; i++)
                    {
                        a = (a + rgba[i]) % 65521;
                        b = (b + a) % 65521;
                    }
                }
            }
            var adler = new byte[4];
            WriteBigEndian(adler, 0, (b << 16) | a);
            zlib.Write(adler, 0, 4);
            return zlib.ToArray();
        }

        static void WriteChunk(Stream output, string type, byte[] data)
        {
            var length = new byte[4];
            WriteBigEndian(length, 0, (uint)data.Length);
            output.Write(length, 0, 4);
            var typeBytes = Encoding.ASCII.GetBytes(type);
            output.Write(typeBytes, 0, 4);
            output.Write(data, 0, data.Length);
            uint crc = Crc(Crc(0xFFFFFFFFu, typeBytes), data) ^ 0xFFFFFFFFu;
            var crcBytes = new byte[4];
            WriteBigEndian(crcBytes, 0, crc);
            output.Write(crcBytes, 0, 4);
        }

        static uint Crc(uint crc, byte[] data)
        {
            foreach (byte x in data) crc = CrcTable[(crc ^ x) & 0xFF] ^ (crc >> 8);
            return crc;
        }

        static uint[] BuildCrcTable()
        {
            var table = new uint[256];
            for (uint n = 0; n < 256; n++)
            {
                uint c = n;
                for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                table[n] = c;
            }
            return table;
        }

        static void WriteBigEndian(byte[] buffer, int offset, uint value)
        {
            buffer[offset] = (byte)(value >> 24);
            buffer[offset + 1] = (byte)(value >> 16);
            buffer[offset + 2] = (byte)(value >> 8);
            buffer[offset + 3] = (byte)value;
        }
    }
}
