using System.Runtime.InteropServices;

namespace RenderNet.Viewer;

/// <summary>
/// The few GLFW 3 calls the viewer makes, bound by hand to Debian's libglfw3: no GLFW binding (Silk.NET.GLFW,
/// Silk.NET.Windowing) is on the package registry these machines reach.
/// </summary>
static class Glfw
{
    const string Library = "libglfw.so.3";

    public const int ContextVersionMajor = 0x00022002, ContextVersionMinor = 0x00022003, OpenGlProfile = 0x00022008,
        OpenGlCoreProfile = 0x00032001, OpenGlForwardCompat = 0x00022006, Resizable = 0x00020003;
    public const int Press = 1, Release = 0, Repeat = 2;
    public const int MouseButtonLeft = 0, MouseButtonRight = 1, MouseButtonMiddle = 2;
    public const int KeyEscape = 256, KeyEnter = 257, KeyLeftShift = 340;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate void KeyCallback(nint window, int key, int scancode, int action, int mods);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate void ScrollCallback(nint window, double x, double y);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate void ErrorCallback(int code, nint description);

    [DllImport(Library, EntryPoint = "glfwInit")] public static extern int Init();
    [DllImport(Library, EntryPoint = "glfwTerminate")] public static extern void Terminate();
    [DllImport(Library, EntryPoint = "glfwWindowHint")] public static extern void WindowHint(int hint, int value);
    [DllImport(Library, EntryPoint = "glfwCreateWindow")] public static extern nint CreateWindow(int width, int height, [MarshalAs(UnmanagedType.LPUTF8Str)] string title, nint monitor, nint share);
    [DllImport(Library, EntryPoint = "glfwDestroyWindow")] public static extern void DestroyWindow(nint window);
    [DllImport(Library, EntryPoint = "glfwMakeContextCurrent")] public static extern void MakeContextCurrent(nint window);
    [DllImport(Library, EntryPoint = "glfwGetProcAddress")] public static extern nint GetProcAddress([MarshalAs(UnmanagedType.LPUTF8Str)] string name);
    [DllImport(Library, EntryPoint = "glfwSwapBuffers")] public static extern void SwapBuffers(nint window);
    [DllImport(Library, EntryPoint = "glfwSwapInterval")] public static extern void SwapInterval(int interval);
    [DllImport(Library, EntryPoint = "glfwPollEvents")] public static extern void PollEvents();
    [DllImport(Library, EntryPoint = "glfwWaitEventsTimeout")] public static extern void WaitEventsTimeout(double seconds);
    [DllImport(Library, EntryPoint = "glfwWindowShouldClose")] public static extern int WindowShouldClose(nint window);
    [DllImport(Library, EntryPoint = "glfwSetWindowShouldClose")] public static extern void SetWindowShouldClose(nint window, int value);
    [DllImport(Library, EntryPoint = "glfwSetWindowTitle")] public static extern void SetWindowTitle(nint window, [MarshalAs(UnmanagedType.LPUTF8Str)] string title);
    [DllImport(Library, EntryPoint = "glfwGetFramebufferSize")] public static extern void GetFramebufferSize(nint window, out int width, out int height);
    [DllImport(Library, EntryPoint = "glfwGetCursorPos")] public static extern void GetCursorPos(nint window, out double x, out double y);
    [DllImport(Library, EntryPoint = "glfwGetMouseButton")] public static extern int GetMouseButton(nint window, int button);
    [DllImport(Library, EntryPoint = "glfwGetKey")] public static extern int GetKey(nint window, int key);
    [DllImport(Library, EntryPoint = "glfwSetKeyCallback")] public static extern nint SetKeyCallback(nint window, KeyCallback callback);
    [DllImport(Library, EntryPoint = "glfwSetScrollCallback")] public static extern nint SetScrollCallback(nint window, ScrollCallback callback);
    [DllImport(Library, EntryPoint = "glfwSetErrorCallback")] public static extern nint SetErrorCallback(ErrorCallback callback);
}
