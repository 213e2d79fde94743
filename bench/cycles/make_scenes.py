# Builds the Cycles benchmark's scenes in Blender and exports each with Blender's own glTF exporter, as a studio would.
# usage: blender -b --factory-startup --python make_scenes.py -- OUT_DIR
# Writes OUT_DIR/NAME.glb for: cornell_metal, many_lights, glass, textured_normals.
import bpy, bmesh, math, os, sys
import numpy
if not hasattr(numpy, "bool"): numpy.bool = bool  # Blender 3.4's glTF add-on uses the removed alias

out_dir = sys.argv[sys.argv.index("--") + 1]
os.makedirs(out_dir, exist_ok=True)


def reset():
    bpy.ops.wm.read_factory_settings(use_empty=True)


def material(name, color=(0.8, 0.8, 0.8), roughness=1.0, metallic=0.0, specular=0.0, emission=None, strength=1.0,
             transmission=0.0, ior=1.45, base_texture=None, normal_texture=None):
    m = bpy.data.materials.new(name)
    m.use_nodes = True
    p = m.node_tree.nodes["Principled BSDF"]
    p.inputs["Base Color"].default_value = (*color, 1)
    p.inputs["Roughness"].default_value = roughness
    p.inputs["Metallic"].default_value = metallic
    p.inputs["Specular"].default_value = specular
    p.inputs["IOR"].default_value = ior
    p.inputs["Transmission"].default_value = transmission
    if emission is not None:
        p.inputs["Emission"].default_value = (*emission, 1)
        p.inputs["Emission Strength"].default_value = strength
    links = m.node_tree.links
    if base_texture is not None:
        t = m.node_tree.nodes.new("ShaderNodeTexImage")
        t.image = base_texture
        links.new(t.outputs["Color"], p.inputs["Base Color"])
    if normal_texture is not None:
        t = m.node_tree.nodes.new("ShaderNodeTexImage")
        t.image = normal_texture
        t.image.colorspace_settings.name = "Non-Color"
        n = m.node_tree.nodes.new("ShaderNodeNormalMap")
        links.new(t.outputs["Color"], n.inputs["Color"])
        links.new(n.outputs["Normal"], p.inputs["Normal"])
    return m


def quad(name, corners, mat):
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata(corners, [], [(0, 1, 2, 3)])
    mesh.uv_layers.new()
    obj = bpy.data.objects.new(name, mesh)
    bpy.context.scene.collection.objects.link(obj)
    obj.data.materials.append(mat)
    return obj


def box_walls(size=2.0, colors=True):
    s = size / 2
    white = material("white", (0.73, 0.73, 0.73))
    red = material("red", (0.65, 0.05, 0.05)) if colors else white
    green = material("green", (0.12, 0.45, 0.15)) if colors else white
    # Blender is Z-up; the box spans x, y in [-s, s], z in [0, 2s]; the camera looks along +y from y = -3.9s.
    quad("floor", [(-s, -s, 0), (s, -s, 0), (s, s, 0), (-s, s, 0)], white)
    quad("ceiling", [(-s, -s, 2 * s), (-s, s, 2 * s), (s, s, 2 * s), (s, -s, 2 * s)], white)
    quad("back", [(-s, s, 0), (s, s, 0), (s, s, 2 * s), (-s, s, 2 * s)], white)
    quad("left", [(-s, -s, 0), (-s, s, 0), (-s, s, 2 * s), (-s, -s, 2 * s)], red)
    quad("right", [(s, -s, 0), (s, -s, 2 * s), (s, s, 2 * s), (s, s, 0)], green)
    return white


def camera(location, target, lens=35):
    cam = bpy.data.cameras.new("camera")
    cam.lens = lens
    cam.sensor_fit = "VERTICAL"
    cam.sensor_height = 24
    obj = bpy.data.objects.new("camera", cam)
    bpy.context.scene.collection.objects.link(obj)
    obj.location = location
    direction = (target[0] - location[0], target[1] - location[1], target[2] - location[2])
    from mathutils import Vector
    obj.rotation_euler = Vector(direction).to_track_quat("-Z", "Y").to_euler()
    bpy.context.scene.camera = obj


def sphere(name, location, radius, mat, segments=48, rings=24):
    bpy.ops.mesh.primitive_uv_sphere_add(segments=segments, ring_count=rings, radius=radius, location=location)
    obj = bpy.context.active_object
    obj.name = name
    bpy.ops.object.shade_smooth()
    obj.data.materials.append(mat)
    return obj


def cube(name, location, size, rotation_z, mat):
    bpy.ops.mesh.primitive_cube_add(size=size, location=location, rotation=(0, 0, rotation_z))
    obj = bpy.context.active_object
    obj.name = name
    obj.data.materials.append(mat)
    return obj


def export(name):
    path = os.path.join(out_dir, name + ".glb")
    bpy.ops.export_scene.gltf(filepath=path, export_format="GLB", export_cameras=True, export_lights=True,
                              export_yup=True, export_apply=True)
    print("WROTE", path)


def ceiling_light(strength=12.0, half=0.25, z=1.999):
    lamp = material("lamp", (0, 0, 0), emission=(1.0, 0.85, 0.6), strength=strength)
    quad("lamp", [(-half, -half, z), (-half, half, z), (half, half, z), (half, -half, z)], lamp)


# 1. Cornell box with a rough metal sphere and a diffuse block.
reset()
box_walls()
ceiling_light()
sphere("metal", (-0.35, 0.25, 0.4), 0.4, material("metal", (0.95, 0.93, 0.88), roughness=0.15, metallic=1.0, specular=0.5))
cube("block", (0.4, -0.2, 0.3), 0.6, 0.3, material("block", (0.73, 0.73, 0.73)))
camera((0, -3.9, 1.0), (0, 0, 1.0))
export("cornell_metal")

# 2. Many small lights: 48 small coloured emitters over a room with a few objects.
reset()
box_walls(colors=False)
import random
random.seed(7)
for i in range(48):
    x, y = random.uniform(-0.9, 0.9), random.uniform(-0.9, 0.9)
    h = 0.03
    c = (random.uniform(0.2, 1), random.uniform(0.2, 1), random.uniform(0.2, 1))
    quad("light%d" % i, [(x - h, y - h, 1.999), (x - h, y + h, 1.999), (x + h, y + h, 1.999), (x + h, y - h, 1.999)],
         material("emitter%d" % i, (0, 0, 0), emission=c, strength=60.0))
sphere("ball", (-0.4, 0.3, 0.35), 0.35, material("ball", (0.8, 0.5, 0.2), roughness=0.4, specular=0.5))
cube("block", (0.45, -0.1, 0.35), 0.7, 0.5, material("block", (0.3, 0.5, 0.8)))
camera((0, -3.9, 1.0), (0, 0, 1.0))
export("many_lights")

# 3. Glass: a clear sphere and a tinted block in the box.
reset()
box_walls()
ceiling_light()
sphere("glass", (-0.3, 0.0, 0.45), 0.45, material("glass", (1, 1, 1), roughness=0.0, specular=0.5, transmission=1.0, ior=1.5))
cube("block", (0.45, 0.4, 0.3), 0.6, -0.3, material("block", (0.73, 0.73, 0.73)))
camera((0, -3.9, 1.0), (0, 0, 1.0))
export("glass")

# 4. Textured with normal maps: a checker floor and a bumpy tiled back wall.
reset()
size = 256
checker = bpy.data.images.new("checker", size, size)
px = numpy.zeros((size, size, 4), dtype=numpy.float32)
yy, xx = numpy.mgrid[0:size, 0:size]
on = ((xx // 32 + yy // 32) % 2).astype(numpy.float32)
px[..., 0] = 0.15 + 0.7 * on; px[..., 1] = 0.15 + 0.55 * on; px[..., 2] = 0.12 + 0.3 * on; px[..., 3] = 1
checker.pixels = px.ravel()
checker.pack()
bumps = bpy.data.images.new("bumps", size, size)
u = (xx % 32) / 32.0 - 0.5
v = (yy % 32) / 32.0 - 0.5
nx, ny = -u * 1.2, -v * 1.2  # each 32-px tile a dome
nz = numpy.sqrt(numpy.clip(1 - nx * nx - ny * ny, 0.05, 1))
n = numpy.stack([nx, ny, nz], -1)
n /= numpy.linalg.norm(n, axis=-1, keepdims=True)
npx = numpy.ones((size, size, 4), dtype=numpy.float32)
npx[..., :3] = n * 0.5 + 0.5
bumps.pixels = npx.ravel()
bumps.pack()
white = box_walls()
bpy.data.objects["floor"].data.materials[0] = material("checker", base_texture=checker)
bpy.data.objects["back"].data.materials[0] = material("tiles", (0.7, 0.7, 0.7), normal_texture=bumps)
ceiling_light()
sphere("ball", (0.3, 0.1, 0.35), 0.35, material("ball", (0.7, 0.7, 0.7), normal_texture=bumps))
camera((0, -3.9, 1.0), (0, 0, 1.0))
export("textured_normals")
